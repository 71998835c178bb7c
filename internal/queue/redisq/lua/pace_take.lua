-- Grant one CXone request to whichever replica asks, if the pace allows it now.
-- KEYS[1] pace hash: next, until, limit, since, streak, last (the last grant), gap (its spacing from
--         the grant before) (times in microseconds of Redis's clock)
-- ARGV[1] interval in microseconds: the least time from this grant to the next
-- ARGV[2] grant-ahead in microseconds: a turn due this soon is granted now, for its time
-- The grant happens at Redis's now (or the turn's time, just ahead), so a replica late for its turn
-- does not make the next early. Same rule as queue.LocalLimiter.
-- Returns {wait µs (0: granted), now, next, until, limit, since, streak, granted (0: none),
-- prev (the grant before this one, whichever replica it went to; 0: none or nothing granted),
-- spaced (prev's spacing from the grant before it; 0: unknown)}.
-- Lua would write a number as "1.7e+15", losing microseconds: int() writes every digit.
local function int(x) return string.format("%.0f", x) end
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local h = redis.call("HMGET", KEYS[1], "next", "until", "limit", "since", "streak")
local nxt, untl = tonumber(h[1]) or 0, tonumber(h[2]) or 0
local wait = math.max(untl - now, nxt - now, 0)
local granted, prev, spaced = 0, 0, 0
if wait <= tonumber(ARGV[2]) then
  granted = now + wait
  nxt = granted + tonumber(ARGV[1])
  wait = 0
  local g = redis.call("HMGET", KEYS[1], "last", "gap")
  prev, spaced = tonumber(g[1]) or 0, tonumber(g[2]) or 0
  local gap = 0
  if prev > 0 then gap = granted - prev end
  redis.call("HSET", KEYS[1], "next", int(nxt), "last", int(granted), "gap", int(gap))
end
return {wait, now, nxt, untl, h[3] or "0", h[4] or "0", h[5] or "0", granted, prev, spaced}
