-- Move event ids of the layout before (keys of their own) into their numbers' states (ids.lua is
-- prepended), each keeping its expiry; the old keys go.
-- KEYS[2j-1] the state hash of id j's number, KEYS[2j] its old key {tag}:seen:<id>\0<number>
-- ARGV[1] now ms (the store's clock), ARGV[2] the event-id TTL ms (for an old key without an
--   expiry, which the layout before never wrote), ARGV[2+j] id j
-- Returns how many ids were kept.
local now, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
local kept = 0
for j = 1, #KEYS / 2 do
  local old = KEYS[2 * j]
  local left = redis.call("PTTL", old)
  if left ~= -2 then
    if left == -1 then left = ttl end
    kept = kept + remember_id(KEYS[2 * j - 1], ARGV[2 + j], tostring(now + left), now)
    redis.call("DEL", old)
  end
end
return kept
