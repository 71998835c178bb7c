-- Record input that was not acted on: rejected input, or words that asked for nothing (ignored).
-- KEYS[1] rejections stream (rejected input only: what staff correct and resubmit)
-- ARGV[1] key prefix ("{tag}:")
-- ARGV[2] now ms
-- ARGV[3..] 12 fields per record (queue.Rejection after Bound):
--   kind key raw body said reason region source channel event_id received_ms valid
--   key: where the record is kept ("" for input with nothing to key it by: the audit log only);
--   valid "1": key is the E.164 of a valid number, whose state is left alone if it was ever seen.
-- The kind names the state a key gets when nothing else was seen ("rejected" or "ignored").
local prefix, now = ARGV[1], tonumber(ARGV[2])
for i = 3, #ARGV, 12 do
  local kind, k, raw, body, said, reason = ARGV[i], ARGV[i+1], ARGV[i+2], ARGV[i+3], ARGV[i+4], ARGV[i+5]
  local region, src, ch, id, recv, valid = ARGV[i+6], ARGV[i+7], ARGV[i+8], ARGV[i+9], tonumber(ARGV[i+10]), ARGV[i+11] == "1"
  if kind == "rejected" then
    redis.call("XADD", KEYS[1], "*", "raw", raw, "body", body, "reason", reason, "region", region,
      "source", src, "channel", ch, "event_id", id, "received", recv, "said", said, "key", k)
  end
  if k ~= "" then
    local skey = prefix .. "state:" .. k
    if not valid then
      redis.call("HSETNX", skey, "first", recv)
      local last = tonumber(redis.call("HGET", skey, "last") or "0")
      if recv > last then redis.call("HSET", skey, "last", recv) end
      redis.call("HSET", skey, "st", kind) -- "rejected", the state of the same name
    elseif redis.call("EXISTS", skey) == 0 then
      -- A valid number never seen: only words that asked for nothing, or a refused event. Its
      -- first request is still to come, so first and last stay unset.
      redis.call("HSET", skey, "st", kind)
    end
  end
  audit(prefix, k, {k = kind, at = now, raw = raw, rsn = said, d = reason, rg = region, src = src, ch = ch,
    id = id, recv = recv})
end
return 1
