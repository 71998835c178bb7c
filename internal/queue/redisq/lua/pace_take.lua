-- Grant one CXone request to whichever replica asks, if the pace allows it now.
-- KEYS[1] pace hash: next, until, limit, since, streak (times in microseconds of Redis's clock)
-- ARGV[1] interval in microseconds: the least time from this grant to the next
-- The grant happens at Redis's now, so a replica late for its turn does not make the next early.
-- Returns {wait µs (0: granted), now, next, until, limit, since, streak}.
-- Lua would write a number as "1.7e+15", losing microseconds: int() writes every digit.
local function int(x) return string.format("%.0f", x) end
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local h = redis.call("HMGET", KEYS[1], "next", "until", "limit", "since", "streak")
local nxt, untl = tonumber(h[1]) or 0, tonumber(h[2]) or 0
local wait = math.max(untl - now, nxt - now, 0)
if wait == 0 then
  nxt = now + tonumber(ARGV[1])
  redis.call("HSET", KEYS[1], "next", int(nxt))
end
return {wait, now, nxt, untl, h[3] or "0", h[4] or "0", h[5] or "0"}
