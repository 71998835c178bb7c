-- Record a 429 for every replica: one episode per overload, one pause for all.
-- KEYS[1] pace hash (see pace_take.lua)
-- ARGV[1] Redis time (µs) of the grant of the request answered 429
-- ARGV[2] the rate (requests a minute) the replica ran at when it was granted
-- ARGV[3] Retry-After in µs; 0: none
-- ARGV[4] Redis time (µs) of the grant before ARGV[1], as pace_take.lua returned it; 0: unknown
-- ARGV[5] the spacing of ARGV[4] from the grant before it, µs, as pace_take.lua returned it; 0: unknown
-- ARGV[6] the least limit the 429 may teach (a settled plateau's); 0: none
-- ARGV[7..] pauses in µs without a Retry-After, by streak (the last repeats)
-- A 429 to a request granted before the current episode began belongs to it and only lengthens the
-- pause; otherwise a new episode begins now at the rate of the longer of the spacings the shared
-- pace gave the refused request (ARGV[1] - ARGV[4]) and the grant before it (ARGV[5]), a spacing
-- more than twice ARGV[2]'s interval (an idle gap) left out; ARGV[2] when neither is known; at
-- least ARGV[6]. Same rules as queue.LocalLimiter (queue.ThrottleLimit).
-- Returns {0, now, next, until, limit, since, streak, 0, 0, 0}.
-- Lua would write a number as "1.7e+15", losing microseconds: int() writes every digit.
local function int(x) return string.format("%.0f", x) end
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local h = redis.call("HMGET", KEYS[1], "next", "until", "limit", "since", "streak")
local nxt, untl, limit = tonumber(h[1]) or 0, tonumber(h[2]) or 0, h[3] or "0"
local since, streak = tonumber(h[4]) or 0, tonumber(h[5]) or 0
local ra = tonumber(ARGV[3])
if since == 0 or tonumber(ARGV[1]) >= since then
  if ra <= 0 then streak = streak + 1 end
  local rpm, granted, prev, spaced = tonumber(ARGV[2]), tonumber(ARGV[1]), tonumber(ARGV[4]), tonumber(ARGV[5])
  local function paced(d) return d > 0 and (rpm <= 0 or d <= 2 * 60000000 / rpm) end
  local gap = granted - prev
  local learned = rpm
  if prev > 0 and paced(gap) then
    if paced(spaced) and spaced > gap then gap = spaced end
    learned = 60000000 / gap
  end
  limit, since = string.format("%.3f", math.max(learned, tonumber(ARGV[6]))), now
  redis.call("HSET", KEYS[1], "limit", limit, "since", int(since), "streak", streak)
end
local pause = ra
if pause <= 0 then
  local n = #ARGV - 6
  pause = 0
  if n > 0 then pause = tonumber(ARGV[6 + math.min(math.max(streak, 1), n)]) end
end
if now + pause > untl then
  untl = now + pause
  redis.call("HSET", KEYS[1], "until", int(untl))
end
return {0, now, nxt, untl, limit, since, streak, 0, 0, 0}
