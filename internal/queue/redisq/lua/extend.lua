-- Move the deadline of leases still held under their claim's token: the heartbeat of a push.
-- KEYS[1] leased zset number -> lease deadline ms
-- ARGV[1..4] the destination: key prefix ("{tag}:"), its queue prefix, state-field suffix, name (dest.go)
-- ARGV[5] new lease deadline ms
-- ARGV[6..] pairs: number, lease token of its claim
-- An entry recovered meanwhile (and perhaps claimed again under another token) is left alone.
-- Returns how many leases were extended.
dest()
local prefix, deadline = ARGV[1], ARGV[5]
local n = 0
for i = 6, #ARGV, 2 do
  local num, tok = ARGV[i], ARGV[i+1]
  if redis.call("HGET", QP .. "item:" .. num, "lease") == tok then
    redis.call("ZADD", KEYS[1], "XX", deadline, num)
    n = n + 1
  end
end
return n
