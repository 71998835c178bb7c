-- Return the named dead letters to ready, due now, with fresh attempts (an operator's redrive).
-- KEYS[1] dead   zset
-- KEYS[2] ready  zset
-- KEYS[3] age    zset
-- ARGV[1..4] the destination: key prefix ("{tag}:"), its queue prefix, state-field suffix, name (dest.go)
-- ARGV[5] now ms
-- ARGV[6..] numbers
-- Numbers that are not dead are left alone. Returns the numbers re-queued.
dest()
local prefix, now = ARGV[1], tonumber(ARGV[5])
local out = {}
for i = 6, #ARGV do
  local num = ARGV[i]
  local key = QP .. "item:" .. num
  if redis.call("ZSCORE", KEYS[1], num) and redis.call("EXISTS", key) == 1 then
    redis.call("ZREM", KEYS[1], num)
    redis.call("HSET", key, "att", 0, "err", "")
    redis.call("ZADD", KEYS[2], now, num)
    redis.call("ZADD", KEYS[3], redis.call("HGET", key, "first"), num)
    redis.call("HSET", prefix .. "state:" .. num, "err" .. SFX, "")
    audit(prefix, num, {k = "requeued", at = now, a = redis.call("HGET", key, "a"),
      d = "dead letter re-queued by an operator"})
    out[#out+1] = num
  end
end
return out
