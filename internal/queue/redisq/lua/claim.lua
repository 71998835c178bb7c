-- Lease up to max due entries, oldest due first.
-- KEYS[1] ready  zset number -> due ms
-- KEYS[2] leased zset number -> lease deadline ms
-- ARGV[1] key prefix ("{tag}:")
-- ARGV[2] now ms
-- ARGV[3] max entries
-- ARGV[4] lease deadline ms
-- ARGV[5] lease token
-- Returns the claimed items, each as a flat HGETALL array.
local prefix = ARGV[1]
local nums = redis.call("ZRANGE", KEYS[1], "-inf", ARGV[2], "BYSCORE", "LIMIT", 0, tonumber(ARGV[3]))
local out = {}
for _, num in ipairs(nums) do
  redis.call("ZREM", KEYS[1], num)
  local key = prefix .. "item:" .. num
  if redis.call("EXISTS", key) == 1 then
    redis.call("ZADD", KEYS[2], ARGV[4], num)
    redis.call("HSET", key, "lease", ARGV[5])
    out[#out+1] = redis.call("HGETALL", key)
  end
end
return out
