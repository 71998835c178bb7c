-- Record input that was not acted on: rejected input, or words that asked for nothing (ignored).
-- Rejected input is held to the store's limits (queue/rejections.go); ignored words are not.
-- KEYS[1] rejections stream (rejected input only: what staff correct and resubmit)
-- KEYS[2] rejseen hash: the identity of each rejection kept -> 1
-- KEYS[3] rejstats hash: counters recorded, duplicates, shed, skipped
-- ARGV[1] key prefix ("{tag}:")
-- ARGV[2] now ms
-- ARGV[3] cap: the most rejections kept; past it the oldest are shed
-- ARGV[4] max fill: past this share of maxmemory rejections are not written, only counted as
--   skipped ("1": written up to maxmemory itself)
-- ARGV[5..] 15 fields per record (queue.Rejection after Bound):
--   kind key raw body said reason region source channel event_id received_ms valid hash bytes ident
--   key: where the record is kept ("" for input with nothing to key it by: the audit log only);
--   valid "1": key is the E.164 of a valid number, whose state is left alone if it was ever seen;
--   ident: Rejection.Identity ("" none): a rejection whose ident is kept is a duplicate.
-- The kind names the state a key gets when nothing else was seen ("rejected" or "ignored").
-- Returns {recorded, duplicates, skipped, shed}.
local prefix, now, cap, maxfill = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])

local recorded, dups, skipped = 0, 0, 0
layout_of(prefix) -- a store's first write may be a rejection (layout.lua)

-- is_crowded: is Redis past maxfill of maxmemory? Read before the first rejection is written, and
-- again every 64 written (a batch of a thousand large ones is megabytes). A server that has no
-- maxmemory, or will not tell (INFO refused), is not crowded.
local crowded, checked = false, nil
local function is_crowded()
  if maxfill < 1 and not crowded and (checked == nil or recorded - checked >= 64) then
    checked = recorded
    local info = redis.pcall("INFO", "memory")
    if type(info) == "string" then
      local used = tonumber(string.match(info, "used_memory:(%d+)"))
      local limit = tonumber(string.match(info, "maxmemory:(%d+)"))
      crowded = used ~= nil and limit ~= nil and limit > 0 and used >= maxfill * limit
    end
  end
  return crowded
end
for i = 5, #ARGV, 15 do
  local kind, k, raw, body, said, reason = ARGV[i], ARGV[i+1], ARGV[i+2], ARGV[i+3], ARGV[i+4], ARGV[i+5]
  local region, src, ch, id, recv, valid = ARGV[i+6], ARGV[i+7], ARGV[i+8], ARGV[i+9], tonumber(ARGV[i+10]), ARGV[i+11] == "1"
  local hash, bytes, ident = ARGV[i+12], ARGV[i+13], ARGV[i+14]
  local write = true
  if kind == "rejected" then
    if ident ~= "" and redis.call("HEXISTS", KEYS[2], ident) == 1 then
      dups, write = dups + 1, false
    elseif is_crowded() then
      skipped, write = skipped + 1, false
    end
  end
  if write then
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
    local aid = audit(prefix, k, {k = kind, at = now, raw = raw, rsn = said, d = reason, rg = region, src = src,
      ch = ch, id = id, recv = recv})
    if kind == "rejected" then
      redis.call("XADD", KEYS[1], "*", "raw", raw, "body", body, "reason", reason, "region", region,
        "source", src, "channel", ch, "event_id", id, "received", recv, "said", said, "key", k,
        "hash", hash, "bytes", bytes, "aid", aid, "ident", ident)
      if ident ~= "" then redis.call("HSET", KEYS[2], ident, 1) end
      recorded = recorded + 1
    end
  end
end
-- A lowered cap is reached a little more each write, and by trim_rejections.lua.
local shedn = shed(prefix, KEYS[1], KEYS[2], cap, recorded + 64)
for f, n in pairs({recorded = recorded, duplicates = dups, skipped = skipped, shed = shedn}) do
  if n > 0 then redis.call("HINCRBY", KEYS[3], f, n) end
end
return {recorded, dups, skipped, shedn}
