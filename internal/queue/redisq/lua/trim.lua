-- Remove audit records written before a cutoff, except the newest record of each number.
-- KEYS[1] audit stream
-- ARGV[1] key prefix ("{tag}:")
-- ARGV[2] start id (exclusive: "(" id) or "-"
-- ARGV[3] cutoff id, exclusive ("(" ms "-0")
-- ARGV[4] page size
-- Returns {removed, last id seen or ""}.
local prefix = ARGV[1]
local entries = redis.call("XRANGE", KEYS[1], ARGV[2], ARGV[3], "COUNT", tonumber(ARGV[4]))
local removed, last = 0, ""
for _, e in ipairs(entries) do
  local id, f = e[1], e[2]
  last = id
  local num
  for j = 1, #f, 2 do if f[j] == "n" then num = f[j+1] end end
  if num and redis.call("LINDEX", prefix .. "hist:" .. num, -1) ~= id then
    redis.call("XDEL", KEYS[1], id)
    redis.call("LREM", prefix .. "hist:" .. num, 1, id)
    removed = removed + 1
  end
end
return {removed, last}
