-- Remember event ids another store remembered (migrate-store), each until its own expiry (ids.lua
-- is prepended).
-- KEYS[j] the state hash of id j's number
-- ARGV[1] now ms (the store's clock), ARGV[2j] id j, ARGV[2j+1] its expiry ms
-- Returns how many ids were kept.
local now = tonumber(ARGV[1])
local kept = 0
for j = 1, #KEYS do
  kept = kept + remember_id(KEYS[j], ARGV[2 * j], ARGV[2 * j + 1], now)
end
return kept
