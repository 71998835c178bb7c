-- dncsync schema 6: the shared pacer keeps the time of its last grant, so that a 429 teaches the
-- spacing the replicas' shared pace really gave the refused request (queue.ThrottleLimit) rather
-- than the rate the refused replica alone asked for. Nullable: NULL until the next grant.

ALTER TABLE pace ADD COLUMN granted timestamptz;
