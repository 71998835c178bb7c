-- Drop the named dead letters: remove them from the queue without pushing, recording why.
-- KEYS[1] dead   zset
-- ARGV[1] key prefix ("{tag}:")
-- ARGV[2] now ms
-- ARGV[3] reason (not empty: the caller checks)
-- ARGV[4..] numbers
-- The number's state becomes "dropped" and keeps its last error; a "dropped" audit record carries
-- the reason. Numbers that are not dead are left alone. Returns the numbers dropped.
local prefix, now, reason = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local out = {}
for i = 4, #ARGV do
  local num = ARGV[i]
  local key = prefix .. "item:" .. num
  if redis.call("ZSCORE", KEYS[1], num) then
    local act = redis.call("HGET", key, "a")
    redis.call("ZREM", KEYS[1], num)
    redis.call("DEL", key)
    redis.call("HSET", prefix .. "state:" .. num, "st", "dropped")
    audit(prefix, num, {k = "dropped", at = now, a = act, d = reason})
    out[#out+1] = num
  end
end
return out
