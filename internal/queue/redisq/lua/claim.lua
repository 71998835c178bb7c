-- Lease up to max due entries, oldest due first.
-- KEYS[1] ready  zset number -> due ms
-- KEYS[2] leased zset number -> lease deadline ms
-- ARGV[1..4] the destination: key prefix ("{tag}:"), its queue prefix, state-field suffix, name (dest.go)
-- ARGV[5] now ms
-- ARGV[6] max entries
-- ARGV[7] lease deadline ms
-- ARGV[8] lease token
-- Returns the claimed items, each as a flat HGETALL array.
dest()
local prefix = ARGV[1]
local nums = redis.call("ZRANGE", KEYS[1], "-inf", ARGV[5], "BYSCORE", "LIMIT", 0, tonumber(ARGV[6]))
local out = {}
for _, num in ipairs(nums) do
  redis.call("ZREM", KEYS[1], num)
  local key = QP .. "item:" .. num
  if redis.call("EXISTS", key) == 1 then
    redis.call("ZADD", KEYS[2], ARGV[7], num)
    redis.call("HSET", key, "lease", ARGV[8])
    out[#out+1] = redis.call("HGETALL", key)
  end
end
return out
