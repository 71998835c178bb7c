-- Shared by reject.lua and trim_rejections.lua (prepended in scripts.go, after the prelude): how a
-- rejection is dropped whole, past the cap or past its retention (queue/rejections.go).
-- fields is a stream entry's fields ({field, value, ...}) as a table.
local function fields(f)
  local v = {}
  for j = 1, #f, 2 do v[f[j]] = f[j+1] end
  return v
end

-- forget drops the entry id (fields v) of the rejections stream, its identity in seen (the hash
-- of identities kept), its audit record and that record's id in its key's trail. A key left with
-- no record that only ever saw rejected input (state "rejected") loses its state too. An entry
-- written before rejections named their audit record (no aid) goes alone: its audit record stays
-- for the audit trail's own trimming.
local function forget(prefix, stream, seen, id, v)
  redis.call("XDEL", stream, id)
  if v.ident and v.ident ~= "" then redis.call("HDEL", seen, v.ident) end
  if not v.aid or v.aid == "" then return end
  redis.call("XDEL", prefix .. "audit", v.aid)
  if not v.key or v.key == "" then return end
  local hist = prefix .. "hist:" .. v.key
  redis.call("LREM", hist, 1, v.aid)
  if redis.call("EXISTS", hist) == 0 then
    local skey = prefix .. "state:" .. v.key
    if redis.call("HGET", skey, "st") == "rejected" then redis.call("DEL", skey) end
  end
end

-- shed drops up to most of the oldest rejections while the stream holds more than cap, and
-- returns how many went.
local function shed(prefix, stream, seen, cap, most)
  local over = math.min(redis.call("XLEN", stream) - cap, most)
  if over <= 0 then return 0 end
  local entries = redis.call("XRANGE", stream, "-", "+", "COUNT", over)
  for _, e in ipairs(entries) do forget(prefix, stream, seen, e[1], fields(e[2])) end
  return #entries
end
