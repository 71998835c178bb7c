-- Grant nothing before a time: a request that arrived late must not make the next look early.
-- KEYS[1] pace hash (see pace_take.lua)
-- ARGV[1] the earliest next grant, microseconds of Redis's clock
-- It never moves the next grant earlier. Returns 1 if it moved it, else 0.
local nxt = tonumber(redis.call("HGET", KEYS[1], "next") or "0")
if tonumber(ARGV[1]) > nxt then
  redis.call("HSET", KEYS[1], "next", ARGV[1])
  return 1
end
return 0
