-- Record rejected input: the rejections stream and, per rejection key, state and audit trail.
-- KEYS[1] rejections stream
-- ARGV[1] key prefix ("{tag}:")
-- ARGV[2] now ms
-- ARGV[3..] 9 fields per rejection: key raw body reason region source channel event_id received_ms
local prefix, now = ARGV[1], tonumber(ARGV[2])
for i = 3, #ARGV, 9 do
  local k, raw, body, reason, region, src, ch, id, recv = ARGV[i], ARGV[i+1], ARGV[i+2], ARGV[i+3], ARGV[i+4], ARGV[i+5], ARGV[i+6], ARGV[i+7], tonumber(ARGV[i+8])
  redis.call("XADD", KEYS[1], "*", "raw", raw, "body", body, "reason", reason, "region", region,
    "source", src, "channel", ch, "event_id", id, "received", recv)
  local skey = prefix .. "state:" .. k
  redis.call("HSETNX", skey, "first", recv)
  local last = tonumber(redis.call("HGET", skey, "last") or "0")
  if recv > last then redis.call("HSET", skey, "last", recv) end
  redis.call("HSET", skey, "st", "rejected")
  audit(prefix, k, {k = "rejected", at = now, raw = raw, rsn = "", d = reason, rg = region, src = src, ch = ch,
    id = id, recv = recv})
end
return 1
