-- dncsync schema 6: the evidence in fewer bytes per number (issue 18: 400 B with full evidence).
--
-- 1. A destination's latest confirmation of a number is kept in that number's row of
--    number_destinations, which already held what it confirmed (action, occurred_at, confirmed_at,
--    expires_at): the row gains the record's seq and scope, and the record is not written a second
--    time as a row of its own. Every other push record (failed, dead, requeued, dropped, and a
--    confirmation once a newer one replaces it) goes to the table confirmation_log, as before. The
--    view confirmations is both, with the columns the table confirmations had: what auditors query
--    is unchanged.
-- 2. The audit tables lose their primary keys (seq, at): seq comes from one sequence and is unique
--    by construction, and the key cost about 35 B a record. A BRIN index on seq (a few pages for
--    millions of records: records are appended in seq order) serves the export, which reads the
--    trail in windows of seq; a number's trail is read by the number's index.

ALTER TABLE confirmations RENAME TO confirmation_log;
DO $$
DECLARE p record;
BEGIN
    FOR p IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
              WHERE i.inhparent = 'confirmation_log'::regclass LOOP
        EXECUTE format('ALTER TABLE %I RENAME TO %I', p.relname,
                       'confirmation_log' || substr(p.relname, length('confirmations') + 1));
    END LOOP;
END $$;

-- The folded record: NULL confirmed_seq when there is none (a row written before a confirmation, one
-- whose record retention removed, or one whose state was set otherwise). Scope columns NULL when empty.
ALTER TABLE number_destinations
    ADD COLUMN confirmed_seq             bigint,
    ADD COLUMN confirmed_scope           text,
    ADD COLUMN confirmed_consent_channel text,
    ADD COLUMN confirmed_purpose         text,
    ADD COLUMN confirmed_policy          text;

-- Fold the records already written: each destination's newest confirmation of a number, when it is
-- what the row says was confirmed (same action and times, no detail).
CREATE TEMP TABLE folded ON COMMIT DROP AS
    SELECT DISTINCT ON (c.number, c.destination) c.seq, c.at, c.number, c.destination, c.action, c.occurred_at,
           c.expires_at, c.detail, c.scope, c.consent_channel, c.purpose, c.policy
      FROM confirmation_log c
     WHERE c.kind = 'confirmed'
     ORDER BY c.number, c.destination, c.seq DESC;
DELETE FROM folded f USING number_destinations d
 WHERE d.number = f.number AND d.destination = f.destination
   AND NOT (f.detail = '' AND d.confirmed_action = f.action AND d.confirmed_at = f.at
            AND d.confirmed_occurred_at IS NOT DISTINCT FROM f.occurred_at
            AND d.confirmed_expires_at IS NOT DISTINCT FROM f.expires_at);
DELETE FROM folded f
 WHERE NOT EXISTS (SELECT 1 FROM number_destinations d WHERE d.number = f.number AND d.destination = f.destination);
UPDATE number_destinations d
   SET confirmed_seq = f.seq, confirmed_scope = f.scope, confirmed_consent_channel = f.consent_channel,
       confirmed_purpose = f.purpose, confirmed_policy = f.policy
  FROM folded f
 WHERE d.number = f.number AND d.destination = f.destination;
DELETE FROM confirmation_log c USING folded f WHERE c.seq = f.seq AND c.at = f.at;

ALTER TABLE events DROP CONSTRAINT events_pkey;
ALTER TABLE confirmation_log DROP CONSTRAINT confirmations_pkey;
CREATE INDEX events_seq ON events USING brin (seq) WITH (autosummarize = on);
CREATE INDEX confirmation_log_seq ON confirmation_log USING brin (seq) WITH (autosummarize = on);
CREATE INDEX number_destinations_seq ON number_destinations USING brin (confirmed_seq) WITH (autosummarize = on);

-- Every push record, as the table confirmations had them.
CREATE VIEW confirmations AS
    SELECT seq, at, number, destination, kind, action, occurred_at, expires_at, detail, scope, consent_channel,
           purpose, policy
      FROM confirmation_log
    UNION ALL
    SELECT confirmed_seq, confirmed_at, number, destination, 'confirmed', confirmed_action, confirmed_occurred_at,
           confirmed_expires_at, '', confirmed_scope, confirmed_consent_channel, confirmed_purpose, confirmed_policy
      FROM number_destinations
     WHERE confirmed_seq IS NOT NULL;

CREATE OR REPLACE VIEW audit_trail AS
    SELECT seq, at, number, kind, '' AS destination, action, raw, source, channel, reason, scope,
           event_id, '' AS region, occurred_at, received_at, expires_at, '' AS detail, repeats,
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

CREATE OR REPLACE VIEW request_confirmations AS
    SELECT e.seq, e.number, e.action, e.source, e.channel, e.event_id, e.received_at, e.at AS recorded_at,
           d.destination, c.at AS confirmed_at, c.at - e.received_at AS took
      FROM events e
     CROSS JOIN destinations d
      LEFT JOIN LATERAL (
            SELECT c.at FROM confirmations c
             WHERE c.number = e.number AND c.destination = d.destination AND c.kind = 'confirmed'
               AND c.action = e.action AND c.seq > e.seq
             ORDER BY c.seq LIMIT 1) c ON true
     WHERE e.kind = 'received';
