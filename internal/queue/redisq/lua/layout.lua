-- Shared by the scripts that can write a store's first audit record (enqueue.lua, reject.lua, and
-- restore.go's records; prepended in scripts.go, which sets LAYOUT): the layout the store is in
-- (upgrade.go). A store with no audit trail was never written by a release of an earlier layout
-- (each of its enqueues wrote a record, and trimming keeps each number's newest), so it has
-- nothing to upgrade: the first of these scripts to write it sets the layout. Returns the store's
-- layout, or false for one that is older than the layout key.
local function layout_of(prefix)
  local v = redis.call("GET", prefix .. "layout")
  if not v and redis.call("EXISTS", prefix .. "audit") == 0 then
    redis.call("SET", prefix .. "layout", LAYOUT)
    return LAYOUT
  end
  return v
end
