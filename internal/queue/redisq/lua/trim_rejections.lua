-- Drop the oldest rejections past the cap (counted as shed) and those received before a cutoff,
-- a page at a time, each whole (forget). Stream order is arrival order: the walk stops at the
-- first rejection received at or after the cutoff.
-- KEYS[1] rejections stream
-- KEYS[2] rejseen hash
-- KEYS[3] rejstats hash
-- ARGV[1] key prefix ("{tag}:")
-- ARGV[2] cutoff ms: rejections received before it go
-- ARGV[3] cap
-- ARGV[4] page size
-- Returns the number dropped; fewer than a page: nothing more to drop.
local prefix, cut, cap, page = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local over = redis.call("XLEN", KEYS[1]) - cap
local entries = redis.call("XRANGE", KEYS[1], "-", "+", "COUNT", page)
local n, shedn = 0, 0
for _, e in ipairs(entries) do
  local v = fields(e[2])
  if over > 0 then
    over, shedn = over - 1, shedn + 1
  elseif (tonumber(v.received) or 0) >= cut then
    break
  end
  forget(prefix, KEYS[1], KEYS[2], e[1], v)
  n = n + 1
end
if shedn > 0 then redis.call("HINCRBY", KEYS[3], "shed", shedn) end
return n
