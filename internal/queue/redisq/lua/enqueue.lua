-- Enqueue a batch of normalized events atomically.
-- KEYS[1] ready  zset number -> due ms
-- KEYS[2] leased zset number -> lease deadline ms
-- KEYS[3] dead   zset number -> dead-at ms
-- KEYS[4] age    zset number -> first receipt ms (ready and leased entries: the compliance clock)
-- ARGV[1] key prefix for item hashes and event ids ("{tag}:")
-- ARGV[2] event-id TTL ms
-- ARGV[3] now ms
-- ARGV[4..] 11 fields per event: id number action raw src ch rsn scp occ recv exp
-- Returns one status per event: "created", "merged" or "duplicate".
local prefix, ttl, now = ARGV[1], ARGV[2], ARGV[3]
local out = {}
local i = 4
while i <= #ARGV do
  local id, num, act, raw, src, ch, rsn, scp = ARGV[i], ARGV[i+1], ARGV[i+2], ARGV[i+3], ARGV[i+4], ARGV[i+5], ARGV[i+6], ARGV[i+7]
  local occ, recv, exp = tonumber(ARGV[i+8]), tonumber(ARGV[i+9]), ARGV[i+10]
  i = i + 11
  local dup = false
  if id ~= "" then
    dup = not redis.call("SET", prefix .. "seen:" .. id, "1", "NX", "PX", ttl)
  end
  if dup then
    out[#out+1] = "duplicate"
  else
    local key = prefix .. "item:" .. num
    local cur = redis.call("HMGET", key, "a", "occ", "last", "exp")
    if not cur[1] then
      redis.call("HSET", key, "n", num, "a", act, "raw", raw, "src", src, "ch", ch, "rsn", rsn, "scp", scp,
        "occ", occ, "first", recv, "last", recv, "exp", exp, "ev", 1, "att", 0, "ver", 1)
      redis.call("ZADD", KEYS[1], recv, num)
      redis.call("ZADD", KEYS[4], recv, num)
      out[#out+1] = "created"
    else
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
