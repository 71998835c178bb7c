-- Set a number's state to what another store says (migrate-store), keeping the event ids it
-- remembers (ids.lua is prepended), which RestoreEventIDs writes.
-- KEYS[1] the state hash
-- ARGV field, value, ...: the whole state
local ids = redis.call("HMGET", KEYS[1], unpack(IDF))
redis.call("DEL", KEYS[1])
local set = ARGV
for j = 1, NIDS do
  if ids[j] then
    set[#set+1] = IDF[j]
    set[#set+1] = ids[j]
  end
end
redis.call("HSET", KEYS[1], unpack(set))
return 1
