-- dncsync schema 8: fewer bytes per number (issue 18: 400 B with full evidence).
--
-- 1. number_destinations loses its primary key (number, destination) for a plain index on number:
--    a number's rows then share one index tuple (deduplication), where the unique key held one
--    entry per row. Two rows for one (number, destination) cannot appear all the same: every
--    writer locks the number's row of numbers first (FOR UPDATE, in number order: pgq's uow.load)
--    and writes a row only when it read none under that lock. The table is rebuilt, its columns in
--    an order that wastes no alignment padding, and last_error is NULL when empty.
-- 2. A confirmation no longer rewrites the number's row of numbers (pgq writes neither the primary
--    destination's state there, which its number_destinations row holds, nor newest_seq for push
--    records: retention finds a number's newest record at trim time). numbers then changes only
--    with its requests, so it leaves 10% of each page free (fillfactor 90) rather than 30%.
-- 3. events.kind and events.action are one-byte codes ("char": kind r received, s stale; action a
--    add, r remove). The views decode them (event_kind, event_action), so that they answer as
--    before. The column change rewrites events (every partition) once.

DROP VIEW request_confirmations, daily_requests, audit_trail, confirmations, number_standing;

-- 1. number_destinations, rebuilt.
ALTER TABLE number_destinations RENAME TO number_destinations_7;
DROP INDEX number_destinations_seq;
CREATE TABLE number_destinations (
    number                    text NOT NULL,
    destination               text NOT NULL,
    state                     text NOT NULL DEFAULT '',
    confirmed_action          text,
    confirmed_occurred_at     timestamptz,
    confirmed_at              timestamptz,
    confirmed_expires_at      timestamptz,
    confirmed_seq             bigint,
    last_error                text,
    confirmed_scope           text,
    confirmed_consent_channel text,
    confirmed_purpose         text,
    confirmed_policy          text
);
INSERT INTO number_destinations
    SELECT number, destination, state, confirmed_action, confirmed_occurred_at, confirmed_at, confirmed_expires_at,
           confirmed_seq, nullif(last_error, ''), confirmed_scope, confirmed_consent_channel, confirmed_purpose,
           confirmed_policy
      FROM number_destinations_7
     ORDER BY number, destination;
DROP TABLE number_destinations_7;
CREATE INDEX number_destinations_number ON number_destinations (number);
CREATE INDEX number_destinations_seq ON number_destinations USING brin (confirmed_seq) WITH (autosummarize = on);

-- 2. numbers.
ALTER TABLE numbers SET (fillfactor = 90);

-- 3. events' codes.
CREATE FUNCTION event_kind(code "char") RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE code WHEN 'r' THEN 'received' WHEN 's' THEN 'stale' END $$;
CREATE FUNCTION event_action(code "char") RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE code WHEN 'a' THEN 'add' WHEN 'r' THEN 'remove' END $$;
-- A value without a code fails the migration (NOT NULL) rather than being stored as another.
ALTER TABLE events
    ALTER COLUMN kind TYPE "char" USING (CASE kind WHEN 'received' THEN 'r' WHEN 'stale' THEN 's' END)::"char",
    ALTER COLUMN action TYPE "char" USING (CASE action WHEN 'add' THEN 'a' WHEN 'remove' THEN 'r' END)::"char",
    ADD CONSTRAINT events_kind_code CHECK (kind IN ('r', 's')),
    ADD CONSTRAINT events_action_code CHECK (action IN ('a', 'r'));

-- The views, as schema 7 had them (same columns, same answers), reading the codes and the NULLs.
CREATE VIEW number_standing AS
    SELECT n.number, d.destination,
           CASE q.status WHEN 'dead' THEN 'dead' WHEN 'ready' THEN 'pending' WHEN 'leased' THEN 'pending'
                ELSE CASE WHEN d.state = 'synced' AND d.confirmed_action = 'add' AND d.confirmed_expires_at <= now()
                          THEN 'expired' ELSE d.state END END AS state,
           n.first_requested_at, n.last_event_at, d.confirmed_action, d.confirmed_occurred_at, d.confirmed_at,
           d.confirmed_expires_at, coalesce(d.last_error, '') AS last_error
      FROM numbers n
      JOIN number_destinations d ON d.number = n.number
      LEFT JOIN queue q ON q.destination = d.destination AND q.number = n.number
     WHERE n.number LIKE '+%'
    UNION ALL
    SELECT q.number, q.destination, CASE q.status WHEN 'dead' THEN 'dead' ELSE 'pending' END,
           n.first_requested_at, n.last_event_at, NULL, NULL, NULL, NULL, q.last_error
      FROM queue q JOIN numbers n ON n.number = q.number
     WHERE NOT EXISTS (SELECT 1 FROM number_destinations d WHERE d.number = q.number AND d.destination = q.destination);

CREATE VIEW confirmations AS
    SELECT seq, at, number, destination, kind, action, occurred_at, expires_at, detail, scope, consent_channel,
           purpose, policy
      FROM confirmation_log
    UNION ALL
    SELECT confirmed_seq, confirmed_at, number, destination, 'confirmed', confirmed_action, confirmed_occurred_at,
           confirmed_expires_at, '', confirmed_scope, confirmed_consent_channel, confirmed_purpose, confirmed_policy
      FROM number_destinations
     WHERE confirmed_seq IS NOT NULL;

CREATE VIEW audit_trail AS
    SELECT seq, at, number, event_kind(kind) AS kind, '' AS destination, event_action(action) AS action, raw, source,
           channel, reason, scope, event_id, '' AS region, occurred_at, received_at, expires_at, '' AS detail, repeats,
           consent_channel, purpose, policy
      FROM events
    UNION ALL
    SELECT seq, at, number, kind, destination, action, '', '', '', '', coalesce(scope, ''), '', '', occurred_at,
           NULL, expires_at, detail, 0, coalesce(consent_channel, ''), coalesce(purpose, ''), coalesce(policy, '')
      FROM confirmations
    UNION ALL
    SELECT seq, at, number, kind, '', '', raw, source, channel, said, '', event_id, region, NULL,
           received_at, NULL, reason, 0, '', '', ''
      FROM rejections;

CREATE VIEW request_confirmations AS
    SELECT e.seq, e.number, event_action(e.action) AS action, e.source, e.channel, e.event_id, e.received_at,
           e.at AS recorded_at, d.destination, c.at AS confirmed_at, c.at - e.received_at AS took
      FROM events e
     CROSS JOIN destinations d
      LEFT JOIN LATERAL (
            SELECT c.at FROM confirmations c
             WHERE c.number = e.number AND c.destination = d.destination AND c.kind = 'confirmed'
               AND c.action = event_action(e.action) AND c.seq > e.seq
             ORDER BY c.seq LIMIT 1) c ON true
     WHERE e.kind = 'r';

CREATE VIEW daily_requests AS
    SELECT date_trunc('day', received_at) AS day, source, event_action(action) AS action, event_kind(kind) AS kind,
           count(*) AS requests, sum(1 + repeats) AS asked
      FROM events GROUP BY 1, 2, 3, 4;
