-- Return a leased entry to ready later: Retry (an attempt spent) or Snooze (none).
-- KEYS[1] ready  zset
-- KEYS[2] leased zset
-- ARGV[1..4] the destination: key prefix ("{tag}:"), its queue prefix, state-field suffix, name (dest.go)
-- ARGV[5] lease token
-- ARGV[6] number
-- ARGV[7] due ms
-- ARGV[8] last error
-- ARGV[9] "retry" to spend an attempt, "snooze" not to
-- ARGV[10] now ms
-- ARGV[11] version seen at claim: if it changed, the entry asks for something new; attempts restart
-- ARGV[12] the action as claimed (what was pushed and failed)
-- Returns 1 if the entry was ours, else 0.
dest()
local key = QP .. "item:" .. ARGV[6]
if redis.call("HGET", key, "lease") ~= ARGV[5] then return 0 end
redis.call("ZREM", KEYS[2], ARGV[6])
redis.call("ZADD", KEYS[1], ARGV[7], ARGV[6])
redis.call("HDEL", key, "lease")
redis.call("HSET", key, "err", ARGV[8])
redis.call("HSET", ARGV[1] .. "state:" .. ARGV[6], "err" .. SFX, ARGV[8])
audit(ARGV[1], ARGV[6], {k = "failed", at = tonumber(ARGV[10]), a = ARGV[12], d = ARGV[8]})
if redis.call("HGET", key, "ver") ~= ARGV[11] then
  redis.call("HSET", key, "att", 0)
elseif ARGV[9] == "retry" then
  redis.call("HINCRBY", key, "att", 1)
end
return 1
