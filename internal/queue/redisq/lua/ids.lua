-- Shared by enqueue.lua and the scripts that move event ids (prepended in scripts.go, after the
-- prelude): where a number's event ids are remembered.
--
-- A number's state hash ({tag}:state:<number>) keeps its last NIDS event ids, one a field: "i1" ..
-- "iN", each "<expiry ms>:<id>". The expiry is the store's clock at receipt plus the event-id TTL;
-- an expired id is a free field. Ids live in the hash that enqueue reads and writes anyway, rather
-- than in a key of their own each (a SET NX PX per event, about an eighth of the script's time,
-- and a key of 100-odd bytes): the read of the state reads them and its write writes them.
--
-- Past NIDS ids of one number within the TTL, a new id takes the field of the one that expires
-- first (the oldest). A retry of an event whose id was pushed out so is not answered "duplicate":
-- it goes through the rule every event goes through (queue.Wins), so it is merged into the
-- number's entry, or stale against what the destination confirmed; it never queues anything the
-- number's newer events did not already decide. Its audit record says "received" or "stale", and
-- its id is remembered in turn, in the place of the oldest.
-- NIDS is set by scripts.go (eventIDFields), which the Go readers share.
local IDF = {}
for j = 1, NIDS do IDF[j] = "i" .. j end

-- find_id looks for id among a number's id fields, v[base+1 .. base+NIDS] as HMGET read them, at
-- now (ms, a number). Returns true if it is remembered; else false and the field to write it in:
-- the first free one, else the one that expires first, with that field's expiry.
local function find_id(v, base, id, now)
  local free, first, firstexp
  for j = 1, NIDS do
    local f = v[base + j]
    if not f then
      free = free or j
    else
      local p = string.find(f, ":", 1, true)
      local exp = tonumber(string.sub(f, 1, p - 1))
      if exp <= now then
        free = free or j
      elseif string.sub(f, p + 1) == id then
        return true
      elseif not firstexp or exp < firstexp then
        first, firstexp = j, exp
      end
    end
  end
  if free then return false, free, 0 end
  return false, first, firstexp
end

-- remember_id keeps id (expiring at exp ms, a string) in the state hash skey, at now: for ids moved
-- in (an upgrade, migrate-store), not for enqueue, which reads the fields with the state. An id
-- already there keeps the later expiry; with every field taken by an id that expires later, the
-- id is not kept. Returns 1 if written, else 0.
local function remember_id(skey, id, exp, now)
  local v = redis.call("HMGET", skey, unpack(IDF))
  for j = 1, NIDS do
    local f = v[j]
    if f then
      local p = string.find(f, ":", 1, true)
      if string.sub(f, p + 1) == id then
        if tonumber(string.sub(f, 1, p - 1)) >= tonumber(exp) then return 0 end
        redis.call("HSET", skey, IDF[j], exp .. ":" .. id)
        return 1
      end
    end
  end
  local _, j, firstexp = find_id(v, 0, id, now)
  if firstexp >= tonumber(exp) then return 0 end
  redis.call("HSET", skey, IDF[j], exp .. ":" .. id)
  return 1
end
