-- Return a leased entry to ready later: Retry (an attempt spent) or Snooze (none).
-- KEYS[1] ready  zset
-- KEYS[2] leased zset
-- ARGV[1] key prefix ("{tag}:")
-- ARGV[2] lease token
-- ARGV[3] number
-- ARGV[4] due ms
-- ARGV[5] last error
-- ARGV[6] "retry" to spend an attempt, "snooze" not to
-- ARGV[7] now ms
-- ARGV[8] version seen at claim: if it changed, the entry asks for something new; attempts restart
-- ARGV[9] the action as claimed (what was pushed and failed)
-- Returns 1 if the entry was ours, else 0.
local key = ARGV[1] .. "item:" .. ARGV[3]
if redis.call("HGET", key, "lease") ~= ARGV[2] then return 0 end
redis.call("ZREM", KEYS[2], ARGV[3])
redis.call("ZADD", KEYS[1], ARGV[4], ARGV[3])
redis.call("HDEL", key, "lease")
redis.call("HSET", key, "err", ARGV[5])
redis.call("HSET", ARGV[1] .. "state:" .. ARGV[3], "err", ARGV[5])
audit(ARGV[1], ARGV[3], {k = "failed", at = tonumber(ARGV[7]), a = ARGV[9], d = ARGV[5]})
if redis.call("HGET", key, "ver") ~= ARGV[8] then
  redis.call("HSET", key, "att", 0)
elseif ARGV[6] == "retry" then
  redis.call("HINCRBY", key, "att", 1)
end
return 1
