-- dncsync schema 7: the shared pacer keeps the time of its last grant and that grant's spacing from
-- the one before, so that a 429 teaches the spacings the replicas' shared pace really gave
-- (queue.ThrottleLimit) rather than the rate the refused replica alone asked for. NULL and 0 until
-- the next grants.

ALTER TABLE pace
    ADD COLUMN granted   timestamptz,
    ADD COLUMN spaced_us bigint NOT NULL DEFAULT 0;
