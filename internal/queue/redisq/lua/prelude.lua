-- Shared by every script (prepended in scripts.go): the audit trail.
-- A record is appended to the global stream {tag}:audit (export, trimming by time) and its stream
-- id to the number's list {tag}:hist:<number> (lookup), whose last id is the number's newest
-- record, which trimming keeps. A record of no number (num "": input with nothing to key it by) is
-- kept in the stream only.
local function audit(prefix, num, rec)
  local id = redis.call("XADD", prefix .. "audit", "*", "n", num, "r", cjson.encode(rec))
  if num ~= "" then
    redis.call("RPUSH", prefix .. "hist:" .. num, id)
  end
  return id
end
