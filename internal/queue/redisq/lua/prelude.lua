-- Shared by every script (prepended in scripts.go): the destination a script acts for, and the
-- audit trail.
--
-- A script that acts on one destination's queue calls dest() first: ARGV[1..4] are then the key
-- prefix ("{tag}:", shared by every destination: event ids, states, the trail), that destination's
-- queue prefix (its ready, leased and dead sets and item hashes: the prefix itself for the first
-- destination, "{tag}:<name>:" for the others), the suffix of its fields in a number's state hash
-- ("" or "@<name>") and its name for audit records ("" when only one destination is configured).
local P, QP, SFX, DST = "", "", "", ""
local function dest()
  P, QP, SFX, DST = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
end
-- A record is appended to the global stream {tag}:audit (export, trimming by time) and its stream
-- id to the number's list {tag}:hist:<number> (lookup), whose last id is the number's newest
-- record, which trimming keeps. A record of no number (num "": input with nothing to key it by) is
-- kept in the stream only. A record written for one destination names it (dst). rec is a table, or
-- a record already encoded (by a script that writes for no one destination).
local function audit(prefix, num, rec)
  if type(rec) == "table" then
    if DST ~= "" then rec.dst = DST end
    rec = cjson.encode(rec)
  end
  local id = redis.call("XADD", prefix .. "audit", "*", "n", num, "r", rec)
  if num ~= "" then
    redis.call("RPUSH", prefix .. "hist:" .. num, id)
  end
  return id
end
