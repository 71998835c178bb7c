-- Move a leased entry to the dead-letter set.
-- KEYS[1] leased zset
-- KEYS[2] dead   zset
-- KEYS[3] age    zset
-- ARGV[1] key prefix ("{tag}:")
-- ARGV[2] lease token
-- ARGV[3] number
-- ARGV[4] now ms
-- ARGV[5] last error
-- ARGV[6] version seen at claim
-- ARGV[7] the action as claimed (what was pushed and failed)
-- KEYS[4] ready zset
-- An entry that changed in flight (a newer event arrived) is not dead: what failed is no longer
-- what it asks for, so it goes back to ready with fresh attempts.
-- Returns 1 if the entry was ours, else 0.
local key = ARGV[1] .. "item:" .. ARGV[3]
if redis.call("HGET", key, "lease") ~= ARGV[2] then return 0 end
if redis.call("HGET", key, "ver") ~= ARGV[6] then
  redis.call("ZREM", KEYS[1], ARGV[3])
  redis.call("HDEL", key, "lease")
  redis.call("HSET", key, "att", 0, "err", ARGV[5])
  redis.call("ZADD", KEYS[4], redis.call("HGET", key, "first"), ARGV[3])
  audit(ARGV[1], ARGV[3], {k = "failed", at = tonumber(ARGV[4]), a = ARGV[7], d = ARGV[5]})
  return 1
end
redis.call("ZREM", KEYS[1], ARGV[3])
redis.call("ZREM", KEYS[3], ARGV[3])
redis.call("ZADD", KEYS[2], ARGV[4], ARGV[3])
redis.call("HDEL", key, "lease")
redis.call("HSET", key, "err", ARGV[5])
redis.call("HSET", ARGV[1] .. "state:" .. ARGV[3], "st", "dead", "err", ARGV[5])
audit(ARGV[1], ARGV[3], {k = "dead", at = tonumber(ARGV[4]), a = ARGV[7], d = ARGV[5]})
return 1
