-- Return up to max dead-lettered entries to ready, due now, with fresh attempts.
-- KEYS[1] dead   zset
-- KEYS[2] ready  zset
-- KEYS[3] age    zset
-- ARGV[1..4] the destination: key prefix ("{tag}:"), its queue prefix, state-field suffix, name (dest.go)
-- ARGV[5] now ms
-- ARGV[6] max entries
-- Returns how many were re-queued.
dest()
local prefix, now = ARGV[1], tonumber(ARGV[5])
local nums = redis.call("ZRANGE", KEYS[1], 0, tonumber(ARGV[6]) - 1)
local n = 0
for _, num in ipairs(nums) do
  redis.call("ZREM", KEYS[1], num)
  local key = QP .. "item:" .. num
  if redis.call("EXISTS", key) == 1 then
    redis.call("HSET", key, "att", 0, "err", "")
    redis.call("ZADD", KEYS[2], now, num)
    redis.call("ZADD", KEYS[3], redis.call("HGET", key, "first"), num)
    redis.call("HSET", prefix .. "state:" .. num, "err" .. SFX, "")
    audit(prefix, num, {k = "requeued", at = now, a = redis.call("HGET", key, "a"),
      d = "dead letter re-queued by an operator"})
    n = n + 1
  end
end
return n
