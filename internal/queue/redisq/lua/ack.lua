-- Settle entries CXone confirmed.
-- KEYS[1] ready  zset
-- KEYS[2] leased zset
-- KEYS[3] age    zset
-- ARGV[1..4] the destination: key prefix ("{tag}:"), its queue prefix, state-field suffix, name (dest.go)
-- ARGV[5] lease token of the claim
-- ARGV[6] now ms
-- ARGV[7..] nine per entry: number, version seen at claim, action pushed, its occurredAt ms, the
--   expiry CXone was told (ms; 0: none), and the consent channel, purpose, policy and brand of the
--   request pushed (queue.Confirmed: the evidence of which scope put the number there)
-- An entry leased by someone else is left alone. One whose version moved (an event arrived in
-- flight that changes what to push) goes back to ready at its first-receipt place in line.
-- Returns the number of entries removed.
dest()
local prefix, token, now = ARGV[1], ARGV[5], tonumber(ARGV[6])
local done = 0
for i = 7, #ARGV, 9 do
  local num, ver, act, occ, exp = ARGV[i], ARGV[i+1], ARGV[i+2], tonumber(ARGV[i+3]), tonumber(ARGV[i+4])
  local cc, pu, po, scp = ARGV[i+5], ARGV[i+6], ARGV[i+7], ARGV[i+8]
  local key = QP .. "item:" .. num
  local cur = redis.call("HMGET", key, "lease", "ver", "first", "occ")
  if cur[1] == token then
    redis.call("ZREM", KEYS[2], num)
    if cur[2] == ver then
      -- Unchanged since the claim: later events merged in asked for the same thing, so what CXone
      -- now has answers the latest of them (its occurredAt decides what is stale from now on).
      occ = tonumber(cur[4])
    end
    local st = "synced"
    if act == "remove" then st = "removed" end
    redis.call("HSET", prefix .. "state:" .. num, "ca" .. SFX, act, "cocc" .. SFX, occ, "cat" .. SFX, now, "cexp" .. SFX, exp, "st" .. SFX, st, "err" .. SFX, "")
    audit(prefix, num, {k = "confirmed", at = now, a = act, occ = occ, exp = exp, cc = cc, pu = pu, po = po, scp = scp})
    redis.call("SET", QP .. "lastack", now) -- Operations.LastConfirmed
    if cur[2] == ver then
      redis.call("DEL", key)
      redis.call("ZREM", KEYS[3], num)
      done = done + 1
    else
      redis.call("HDEL", key, "lease")
      redis.call("HSET", key, "att", 0)
      redis.call("ZADD", KEYS[1], cur[3], num)
    end
  end
end
return done
