-- Settle entries CXone confirmed.
-- KEYS[1] ready  zset
-- KEYS[2] leased zset
-- KEYS[3] age    zset
-- ARGV[1] key prefix ("{tag}:")
-- ARGV[2] lease token of the claim
-- ARGV[3..] pairs: number, version seen at claim
-- An entry leased by someone else is left alone. One whose version moved (an event arrived in
-- flight that changes what to push) goes back to ready at its first-receipt place in line.
-- Returns the number of entries removed.
local prefix, token = ARGV[1], ARGV[2]
local done = 0
for i = 3, #ARGV, 2 do
  local num, ver = ARGV[i], ARGV[i+1]
  local key = prefix .. "item:" .. num
  local cur = redis.call("HMGET", key, "lease", "ver", "first")
  if cur[1] == token then
    redis.call("ZREM", KEYS[2], num)
    if cur[2] == ver then
      redis.call("DEL", key)
      redis.call("ZREM", KEYS[3], num)
      done = done + 1
    else
      redis.call("HDEL", key, "lease")
      redis.call("HSET", key, "att", 0)
      redis.call("ZADD", KEYS[1], cur[3], num)
    end
  end
end
return done
