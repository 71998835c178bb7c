-- Rewrite one entry written before the one value: its event's fields become the value "e".
-- KEYS[1] the entry's hash
-- ARGV[1] the value (queue.EventCodec), made from the fields below as the caller read them
-- ARGV[2..7] those fields as read: n raw src ch rsn scp
-- An entry that changed since (an event merged in, or it went) is left for the next upgrade.
-- Returns 1 if rewritten, else 0.
if redis.call("HEXISTS", KEYS[1], "e") == 1 then return 0 end
local cur = redis.call("HMGET", KEYS[1], "n", "raw", "src", "ch", "rsn", "scp")
if not cur[1] then return 0 end
for j = 1, 6 do
  if (cur[j] or "") ~= ARGV[j + 1] then return 0 end
end
redis.call("HSET", KEYS[1], "e", ARGV[1])
redis.call("HDEL", KEYS[1], "n", "raw", "src", "ch", "rsn", "scp")
return 1
