-- Move a leased entry to the dead-letter set.
-- KEYS[1] leased zset
-- KEYS[2] dead   zset
-- KEYS[3] age    zset
-- ARGV[1..4] the destination: key prefix ("{tag}:"), its queue prefix, state-field suffix, name (dest.go)
-- ARGV[5] lease token
-- ARGV[6] number
-- ARGV[7] now ms
-- ARGV[8] last error
-- ARGV[9] version seen at claim
-- ARGV[10] the action as claimed (what was pushed and failed)
-- KEYS[4] ready zset
-- An entry that changed in flight (a newer event arrived) is not dead: what failed is no longer
-- what it asks for, so it goes back to ready with fresh attempts.
-- Returns 1 if the entry was ours, else 0.
dest()
local key = QP .. "item:" .. ARGV[6]
if redis.call("HGET", key, "lease") ~= ARGV[5] then return 0 end
if redis.call("HGET", key, "ver") ~= ARGV[9] then
  redis.call("ZREM", KEYS[1], ARGV[6])
  redis.call("HDEL", key, "lease")
  redis.call("HSET", key, "att", 0, "err", ARGV[8])
  redis.call("ZADD", KEYS[4], redis.call("HGET", key, "first"), ARGV[6])
  audit(ARGV[1], ARGV[6], {k = "failed", at = tonumber(ARGV[7]), a = ARGV[10], d = ARGV[8]})
  return 1
end
redis.call("ZREM", KEYS[1], ARGV[6])
redis.call("ZREM", KEYS[3], ARGV[6])
redis.call("ZADD", KEYS[2], ARGV[7], ARGV[6])
redis.call("HDEL", key, "lease")
redis.call("HSET", key, "err", ARGV[8])
redis.call("HSET", ARGV[1] .. "state:" .. ARGV[6], "st" .. SFX, "dead", "err" .. SFX, ARGV[8])
audit(ARGV[1], ARGV[6], {k = "dead", at = tonumber(ARGV[7]), a = ARGV[10], d = ARGV[8]})
return 1
