-- Enqueue a batch of normalized events atomically.
-- KEYS[1] ready  zset number -> due ms
-- KEYS[2] leased zset number -> lease deadline ms
-- KEYS[3] dead   zset number -> dead-at ms
-- KEYS[4] age    zset number -> first receipt ms (ready and leased entries: the compliance clock)
-- ARGV[1] key prefix for item hashes and event ids ("{tag}:")
-- ARGV[2] event-id TTL ms
-- ARGV[3] now ms
-- ARGV[4..] 12 fields per event: id number action raw src ch rsn scp occ recv exp resync
--   (resync "1": queue even if older than what CXone confirmed; reconcile found it missing there)
-- Also per number: {tag}:state:<number> (first/last receipt, what CXone confirmed) and the audit trail.
-- Returns one status per event: "created", "merged", "stale" or "duplicate".
local prefix, ttl, now = ARGV[1], ARGV[2], ARGV[3]
local out = {}
local i = 4
while i <= #ARGV do
  local id, num, act, raw, src, ch, rsn, scp = ARGV[i], ARGV[i+1], ARGV[i+2], ARGV[i+3], ARGV[i+4], ARGV[i+5], ARGV[i+6], ARGV[i+7]
  local occ, recv, exp, resync = tonumber(ARGV[i+8]), tonumber(ARGV[i+9]), ARGV[i+10], ARGV[i+11] == "1"
  i = i + 12
  local dup = false
  if id ~= "" then
    -- Ids are remembered per number: two senders that both number events "1001" do not collide.
    dup = not redis.call("SET", prefix .. "seen:" .. id .. "\0" .. num, "1", "NX", "PX", ttl)
  end
  if dup then
    out[#out+1] = "duplicate"
  else
    local key = prefix .. "item:" .. num
    local skey = prefix .. "state:" .. num
    -- One read and at most one write of the number's state: first receipt (never reset), last.
    local conf = redis.call("HMGET", skey, "ca", "cocc", "first", "last")
    if not conf[3] then
      redis.call("HSET", skey, "first", recv, "last", recv)
    elseif recv > tonumber(conf[4] or "0") then
      redis.call("HSET", skey, "last", recv)
    end
    local rec = {k = "received", at = tonumber(now), raw = raw, a = act, src = src, ch = ch, rsn = rsn, scp = scp,
      id = id, occ = occ, recv = recv, exp = tonumber(exp)}
    local cur = redis.call("HMGET", key, "a", "occ", "last", "exp")
    local stale = false
    if not cur[1] and conf[1] then
      -- Nothing queued: compare with what CXone already has. Same rule as queue.Wins. A resync
      -- counts only while the confirmed state is still exactly the one reconcile saw missing.
      local cocc = tonumber(conf[2])
      if resync then
        stale = not (conf[1] == act and cocc == occ)
      else
        stale = not (occ > cocc or (occ == cocc and act == "add" and conf[1] ~= "add"))
      end
    end
    if stale then
      rec.k = "stale"
      audit(prefix, num, rec)
      out[#out+1] = "stale"
    elseif not cur[1] then
      audit(prefix, num, rec)
      redis.call("HSET", key, "n", num, "a", act, "raw", raw, "src", src, "ch", ch, "rsn", rsn, "scp", scp,
        "occ", occ, "first", recv, "last", recv, "exp", exp, "ev", 1, "att", 0, "ver", 1)
      redis.call("ZADD", KEYS[1], recv, num)
      redis.call("ZADD", KEYS[4], recv, num)
      out[#out+1] = "created"
    else
      audit(prefix, num, rec)
      redis.call("HINCRBY", key, "ev", 1)
      if recv > tonumber(cur[3]) then redis.call("HSET", key, "last", recv) end
      local curocc = tonumber(cur[2])
      -- The latest request wins; on a tie add wins (when unsure, do not call). Same rule as queue.Wins.
      if occ > curocc or (occ == curocc and act == "add" and cur[1] ~= "add") then
        if act ~= cur[1] or exp ~= cur[4] then redis.call("HINCRBY", key, "ver", 1) end
        redis.call("HSET", key, "a", act, "occ", occ, "exp", exp, "raw", raw, "src", src, "ch", ch, "rsn", rsn, "scp", scp)
      end
      if redis.call("ZSCORE", KEYS[3], num) then
        -- A new request for a dead-lettered number deserves new attempts.
        redis.call("ZREM", KEYS[3], num)
        redis.call("HSET", key, "att", 0)
        redis.call("ZADD", KEYS[1], now, num)
        redis.call("ZADD", KEYS[4], redis.call("HGET", key, "first"), num)
      end
      out[#out+1] = "merged"
    end
  end
end
return out
