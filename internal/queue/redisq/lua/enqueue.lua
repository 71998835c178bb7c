-- Enqueue a batch of normalized events atomically, each for every destination.
-- KEYS[4d-3..4d] for destination d (1..ARGV[4]): its ready (number -> due ms), leased (number ->
--   lease deadline ms), dead (number -> dead-at ms) and age (number -> first receipt ms of ready
--   and leased entries: the compliance clock) sets
-- ARGV[1] key prefix for event ids, states and the trail ("{tag}:")
-- ARGV[2] when the call's event ids expire, ms: now plus the event-id TTL
-- ARGV[3] now ms
-- ARGV[4] number of destinations, d
-- ARGV[5..] 3 per destination: its queue prefix (item hashes), state-field suffix, name
-- then 10 fields per event: id number action occ recv exp resync lanes entry record
--   (resync "1": queue even if older than what the destination confirmed; reconcile found it
--   missing there. lanes: the names of the destinations to queue it for, each between commas
--   (",cxone,genesys,"; ",": none), routed by scope in Go (queue.Event.Lanes); "": all. entry and
--   record: the event encoded (queue.EventCodec), which the script stores without reading: entry
--   as the entry's "e" while the event decides the entry (without the fields the entry keeps
--   apart), record whole in the event's audit record)
-- Also per number: {tag}:state:<number> (first/last receipt, per destination what it confirmed,
-- and its last event ids: ids.lua) and the audit trail: one record per event, "received", or
-- "stale" when no destination queued it.
-- The ready and age sets are written once per call, at the end (a ZADD of every number added).
-- Returns one status per event: "created" (a new entry for some destination), "merged" (folded
-- into existing entries), "stale" or "duplicate".
local prefix, idexp, now, nd = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local nown = tonumber(now)
local dests = {}
for d = 1, nd do
  local j = 5 + 3 * (d - 1)
  dests[d] = {qp = ARGV[j], sfx = ARGV[j+1], name = ARGV[j+2], k = 4 * (d - 1)}
end

-- Additions to each destination's ready and age sets, made in one ZADD per set at the end of the
-- call rather than two per event: most of the script's time is the calls it makes. Nothing in the
-- script reads those two sets, and a member added twice takes its last score, as it would have.
for _, d in ipairs(dests) do
  d.zr, d.za = {}, {}
end
local function zadd(t, score, num)
  t[#t+1] = score
  t[#t+1] = num
end

-- Times are compared as numbers (occ, recv) but written as the strings they came as (occs, recvs,
-- exp): a number passed to redis.call or cjson is formatted with snprintf, which cost the script
-- about a sixth of its time.

-- queue one event for destination d; conf holds the number's state fields. seen: the state has a
-- first receipt; without one the number was never enqueued, so no destination holds an entry for
-- it and the entry need not be read. Returns a status.
local function put(d, seen, num, act, ent, occ, occs, recv, recvs, exp, resync, ca, cocc)
  local key = d.qp .. "item:" .. num
  local dead = KEYS[d.k + 3]
  local cur = {}
  if seen then cur = redis.call("HMGET", key, "a", "occ", "last", "exp", "raw") end
  if not cur[1] then
    if ca then
      -- Nothing queued: compare with what the destination already has. Same rule as queue.Wins.
      -- A resync counts only while the confirmed state is still exactly the one reconcile saw
      -- missing.
      local stale
      cocc = tonumber(cocc)
      if resync then
        stale = not (ca == act and cocc == occ)
      else
        stale = not (occ > cocc or (occ == cocc and act == "add" and ca ~= "add"))
      end
      if stale then return "stale" end
    end
    -- No attempts yet: "att" is left out, which every reader (and every release's) takes as 0 (HINCRBY
    -- starts there, claim.go reads a missing field as 0). The other fields stay: an older replica
    -- reads them during a rolling upgrade.
    redis.call("HSET", key, "e", ent, "a", act, "occ", occs, "first", recvs, "last", recvs, "exp", exp,
      "ev", "1", "ver", "1")
    zadd(d.zr, recvs, num)
    zadd(d.za, recvs, num)
    return "created"
  end
  redis.call("HINCRBY", key, "ev", "1")
  if recv > tonumber(cur[3]) then redis.call("HSET", key, "last", recvs) end
  local curocc = tonumber(cur[2])
  -- The latest request wins; on a tie add wins (when unsure, do not call). Same rule as queue.Wins.
  if occ > curocc or (occ == curocc and act == "add" and cur[1] ~= "add") then
    if act ~= cur[1] or exp ~= cur[4] then redis.call("HINCRBY", key, "ver", "1") end
    redis.call("HSET", key, "a", act, "occ", occs, "exp", exp, "e", ent)
    -- An entry written before the one value (it has "raw") had the event's fields one by one.
    if cur[5] then redis.call("HDEL", key, "n", "raw", "src", "ch", "rsn", "scp") end
  end
  if redis.call("ZSCORE", dead, num) then
    -- A new request for a dead-lettered number deserves new attempts.
    redis.call("ZREM", dead, num)
    redis.call("HSET", key, "att", "0")
    zadd(d.zr, now, num)
    zadd(d.za, redis.call("HGET", key, "first"), num)
  end
  return "merged"
end

-- The state fields enqueue reads: first, last, each destination's confirmed action and its
-- occurredAt, then the number's event ids (ids.lua) from fields[IDS+1].
local fields = {"first", "last"}
for _, d in ipairs(dests) do
  fields[#fields+1] = "ca" .. d.sfx
  fields[#fields+1] = "cocc" .. d.sfx
end
local IDS = #fields
for j = 1, NIDS do fields[IDS + j] = IDF[j] end

-- Event ids of the layout before (upgrade.go, layoutValue) were keys of their own,
-- {tag}:seen:<id>\0<number>, expiring with the TTL; until Upgrade has moved them into the states
-- (the layout key says so, layout.lua), an id is also looked for there.
local oldids = layout_of(prefix) ~= LAYOUT

local out = {}
local i = 5 + 3 * nd
while i <= #ARGV do
  local id, num, act, occs, recvs, exp = ARGV[i], ARGV[i+1], ARGV[i+2], ARGV[i+3], ARGV[i+4], ARGV[i+5]
  local resync, lanes, ent, rec = ARGV[i+6] == "1", ARGV[i+7], ARGV[i+8], ARGV[i+9]
  local occ, recv = tonumber(occs), tonumber(recvs)
  i = i + 10
  local skey = prefix .. "state:" .. num
  -- One read and at most one write of the number's state: first receipt (never reset), last, and
  -- the event id. Ids are remembered per number: two senders that both number events "1001" do
  -- not collide.
  local conf = redis.call("HMGET", skey, unpack(fields))
  local dup, slot = false, nil
  if id ~= "" then
    dup, slot = find_id(conf, IDS, id, nown)
    if not dup and oldids then
      dup = redis.call("EXISTS", prefix .. "seen:" .. id .. "\0" .. num) == 1
    end
  end
  if dup then
    out[#out+1] = "duplicate"
  else
    local set = {}
    if not conf[1] then
      set = {"first", recvs, "last", recvs}
    elseif recv > tonumber(conf[2] or "0") then
      set = {"last", recvs}
    end
    if slot then
      set[#set+1] = IDF[slot]
      set[#set+1] = idexp .. ":" .. id
    end
    if #set > 0 then redis.call("HSET", skey, unpack(set)) end
    local status = "stale"
    for n, d in ipairs(dests) do
      if lanes == "" or string.find(lanes, "," .. d.name .. ",", 1, true) then
        local s = put(d, conf[1] ~= false, num, act, ent, occ, occs, recv, recvs, exp, resync,
          conf[2 * n + 1], conf[2 * n + 2])
        if s == "created" or (s == "merged" and status == "stale") then status = s end
      end
    end
    -- The record is the event's value and what the script decided: its kind ("received", or
    -- "stale" when no destination queued it) and when (evidence.go reads it).
    local k = "received"
    if status == "stale" then k = "stale" end
    local aid = redis.call("XADD", prefix .. "audit", "*", "n", num, "k", k, "at", now, "e", rec)
    redis.call("RPUSH", prefix .. "hist:" .. num, aid)
    out[#out+1] = status
  end
end
-- ZADD takes at most a few thousand arguments comfortably: send the additions in slices.
local function flush(key, t)
  for j = 1, #t, 2000 do
    redis.call("ZADD", key, unpack(t, j, math.min(j + 1999, #t)))
  end
end
for _, d in ipairs(dests) do
  flush(KEYS[d.k + 1], d.zr)
  flush(KEYS[d.k + 4], d.za)
end
return out
