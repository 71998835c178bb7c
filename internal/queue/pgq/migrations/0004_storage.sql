-- dncsync schema 4: narrower indexes on the audit tables, and storage settings for the tables that
-- churn. No column changes: the data stays as it is; the new indexes are built from it (a few
-- seconds per million records, while the tables are locked for writes).

-- A number's trail is found by its number alone: a number has a handful of records, sorted when
-- read. Without seq in the key, a number's entries share one index tuple (deduplication), and the
-- index is about half the size.
CREATE INDEX events_by_number ON events (number);
DROP INDEX events_number;
CREATE INDEX confirmations_by_number ON confirmations (number);
DROP INDEX confirmations_number;

-- Each number's row is written several times (the request, then each destination's confirmation).
-- Room in every page lets those updates stay in the page (HOT: no new index entry, and the old
-- version is pruned on the next visit), instead of leaving a dead copy and an index entry behind.
ALTER TABLE numbers SET (fillfactor = 70);

-- The queue is a buffer: every entry is inserted, leased (its status and due time change, both
-- indexed) and deleted within minutes. The default autovacuum (20% of the table changed, at a
-- throttled pace) lets dead entries and their index entries pile up under a fast intake, and an
-- index never shrinks. Vacuum it after every few thousand changes, unthrottled: the pages freed are
-- reused by the next entries, so its size follows the queue's depth, not how many numbers went through.
ALTER TABLE queue SET (fillfactor = 90, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 2000,
    autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 2000,
    autovacuum_analyze_scale_factor = 0.02, autovacuum_vacuum_cost_delay = 0);

-- Event ids are deleted once expired (a week): the same, so their space is reused in turn.
ALTER TABLE event_ids SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_cost_delay = 0);
