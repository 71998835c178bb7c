-- Read the shared pace without changing it.
-- KEYS[1] pace hash (see pace_take.lua)
-- Returns {0, now, next, until, limit, since, streak, 0, last (the last grant; 0: none), gap (its
-- spacing from the grant before; 0: unknown)}.
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local h = redis.call("HMGET", KEYS[1], "next", "until", "limit", "since", "streak", "last", "gap")
return {0, now, tonumber(h[1]) or 0, tonumber(h[2]) or 0, h[3] or "0", h[4] or "0", h[5] or "0", 0,
  tonumber(h[6]) or 0, tonumber(h[7]) or 0}
