-- Return a leased entry to ready later.
-- KEYS[1] ready  zset
-- KEYS[2] leased zset
-- ARGV[1] key prefix ("{tag}:")
-- ARGV[2] lease token
-- ARGV[3] number
-- ARGV[4] due ms
-- ARGV[5] last error
-- ARGV[6] "1" to count an attempt, "0" for a snooze
-- Returns 1 if the entry was ours, else 0.
local key = ARGV[1] .. "item:" .. ARGV[3]
if redis.call("HGET", key, "lease") ~= ARGV[2] then return 0 end
redis.call("ZREM", KEYS[2], ARGV[3])
redis.call("ZADD", KEYS[1], ARGV[4], ARGV[3])
redis.call("HDEL", key, "lease")
redis.call("HSET", key, "err", ARGV[5])
if ARGV[6] == "1" then redis.call("HINCRBY", key, "att", 1) end
return 1
