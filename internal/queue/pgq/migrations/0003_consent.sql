-- dncsync schema 3: each request's consent scope and policy (queue.Event ConsentChannel, Purpose,
-- Policy), and free text stored escaped so that every byte survives: a backslash is written \\ and
-- a NUL byte (which PostgreSQL text cannot hold) \0. Text written before is escaped here.

ALTER TABLE queue
    ADD COLUMN consent_channel text NOT NULL DEFAULT '',
    ADD COLUMN purpose         text NOT NULL DEFAULT '',
    ADD COLUMN policy          text NOT NULL DEFAULT '';

ALTER TABLE events
    ADD COLUMN consent_channel text NOT NULL DEFAULT '',
    ADD COLUMN purpose         text NOT NULL DEFAULT '',
    ADD COLUMN policy          text NOT NULL DEFAULT '';

UPDATE queue SET raw = replace(raw, '\', '\\'), source = replace(source, '\', '\\'),
       channel = replace(channel, '\', '\\'), reason = replace(reason, '\', '\\'), scope = replace(scope, '\', '\\'),
       last_error = replace(last_error, '\', '\\')
 WHERE position('\' IN raw || source || channel || reason || scope || last_error) > 0;
UPDATE events SET raw = replace(raw, '\', '\\'), source = replace(source, '\', '\\'),
       channel = replace(channel, '\', '\\'), reason = replace(reason, '\', '\\'), scope = replace(scope, '\', '\\'),
       event_id = replace(event_id, '\', '\\')
 WHERE position('\' IN raw || source || channel || reason || scope || event_id) > 0;
UPDATE event_ids SET event_id = replace(event_id, '\', '\\') WHERE position('\' IN event_id) > 0;
UPDATE confirmations SET detail = replace(detail, '\', '\\') WHERE position('\' IN detail) > 0;
UPDATE number_destinations SET last_error = replace(last_error, '\', '\\') WHERE position('\' IN last_error) > 0;
UPDATE rejections SET raw = replace(raw, '\', '\\'), body = replace(body, '\', '\\'), said = replace(said, '\', '\\'),
       reason = replace(reason, '\', '\\'), region = replace(region, '\', '\\'), source = replace(source, '\', '\\'),
       channel = replace(channel, '\', '\\'), event_id = replace(event_id, '\', '\\')
 WHERE position('\' IN raw || body || said || reason || region || source || channel || event_id) > 0;

-- The trail with the new columns (added at the end, as CREATE OR REPLACE VIEW requires).
CREATE OR REPLACE VIEW audit_trail AS
    SELECT seq, at, number, kind, '' AS destination, action, raw, source, channel, reason, scope,
           event_id, '' AS region, occurred_at, received_at, expires_at, '' AS detail, repeats,
           consent_channel, purpose, policy
      FROM events
    UNION ALL
    SELECT seq, at, number, kind, destination, action, '', '', '', '', '', '', '', occurred_at, NULL,
           expires_at, detail, 0, '', '', ''
      FROM confirmations
    UNION ALL
    SELECT seq, at, number, kind, '', '', raw, source, channel, said, '', event_id, region, NULL,
           received_at, NULL, reason, 0, '', '', ''
      FROM rejections;
