-- Move the deadline of leases still held under their claim's token: the heartbeat of a push.
-- KEYS[1] leased zset number -> lease deadline ms
-- ARGV[1] key prefix ("{tag}:")
-- ARGV[2] new lease deadline ms
-- ARGV[3..] pairs: number, lease token of its claim
-- An entry recovered meanwhile (and perhaps claimed again under another token) is left alone.
-- Returns how many leases were extended.
local prefix, deadline = ARGV[1], ARGV[2]
local n = 0
for i = 3, #ARGV, 2 do
  local num, tok = ARGV[i], ARGV[i+1]
  if redis.call("HGET", prefix .. "item:" .. num, "lease") == tok then
    redis.call("ZADD", KEYS[1], "XX", deadline, num)
    n = n + 1
  end
end
return n
