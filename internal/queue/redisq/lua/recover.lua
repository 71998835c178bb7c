-- Return entries whose lease expired (their pusher stopped) to ready at their place in line, due at
-- once and with no attempt spent; count the lost lease, and dead-letter those that lost too many.
-- KEYS[1] ready  zset
-- KEYS[2] leased zset
-- KEYS[3] dead   zset
-- KEYS[4] age    zset
-- ARGV[1..4] the destination: key prefix ("{tag}:"), its queue prefix, state-field suffix, name (dest.go)
-- ARGV[5] now ms
-- ARGV[6] max entries per call
-- ARGV[7] max lost leases: an entry whose lost leases reach it is dead-lettered
-- Returns the number of entries recovered.
dest()
local prefix, now, maxlost = ARGV[1], tonumber(ARGV[5]), tonumber(ARGV[7])
local nums = redis.call("ZRANGE", KEYS[2], "-inf", now, "BYSCORE", "LIMIT", 0, tonumber(ARGV[6]))
for _, num in ipairs(nums) do
  local key = QP .. "item:" .. num
  redis.call("ZREM", KEYS[2], num)
  if redis.call("EXISTS", key) == 1 then
    redis.call("HDEL", key, "lease")
    local msg = "lease expired: the pusher holding it stopped answering"
    redis.call("HSET", key, "err", msg)
    local lost = redis.call("HINCRBY", key, "lost", 1)
    local act = redis.call("HGET", key, "a")
    if lost >= maxlost then
      redis.call("ZREM", KEYS[4], num)
      redis.call("ZADD", KEYS[3], now, num)
      redis.call("HSET", prefix .. "state:" .. num, "st" .. SFX, "dead", "err" .. SFX, msg)
      audit(prefix, num, {k = "dead", at = now, a = act, d = msg})
    else
      redis.call("HSET", prefix .. "state:" .. num, "err" .. SFX, msg)
      audit(prefix, num, {k = "failed", at = now, a = act, d = msg})
      redis.call("ZADD", KEYS[1], redis.call("HGET", key, "first"), num)
    end
  end
end
return #nums
