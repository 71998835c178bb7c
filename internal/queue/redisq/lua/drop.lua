-- Drop the named dead letters: remove them from the queue without pushing, recording why.
-- KEYS[1] dead   zset
-- ARGV[1..4] the destination: key prefix ("{tag}:"), its queue prefix, state-field suffix, name (dest.go)
-- ARGV[5] now ms
-- ARGV[6] reason (not empty: the caller checks)
-- ARGV[7..] numbers
-- The number's state becomes "dropped" and keeps its last error; a "dropped" audit record carries
-- the reason. Numbers that are not dead are left alone. Returns the numbers dropped.
dest()
local prefix, now, reason = ARGV[1], tonumber(ARGV[5]), ARGV[6]
local out = {}
for i = 7, #ARGV do
  local num = ARGV[i]
  local key = QP .. "item:" .. num
  if redis.call("ZSCORE", KEYS[1], num) then
    local act = redis.call("HGET", key, "a")
    redis.call("ZREM", KEYS[1], num)
    redis.call("DEL", key)
    redis.call("HSET", prefix .. "state:" .. num, "st" .. SFX, "dropped")
    audit(prefix, num, {k = "dropped", at = now, a = act, d = reason})
    out[#out+1] = num
  end
end
return out
