-- Move a leased entry to the dead-letter set.
-- KEYS[1] leased zset
-- KEYS[2] dead   zset
-- KEYS[3] age    zset
-- ARGV[1] key prefix ("{tag}:")
-- ARGV[2] lease token
-- ARGV[3] number
-- ARGV[4] now ms
-- ARGV[5] last error
-- Returns 1 if the entry was ours, else 0.
local key = ARGV[1] .. "item:" .. ARGV[3]
if redis.call("HGET", key, "lease") ~= ARGV[2] then return 0 end
redis.call("ZREM", KEYS[1], ARGV[3])
redis.call("ZREM", KEYS[3], ARGV[3])
redis.call("ZADD", KEYS[2], ARGV[4], ARGV[3])
redis.call("HDEL", key, "lease")
redis.call("HSET", key, "err", ARGV[5])
return 1
