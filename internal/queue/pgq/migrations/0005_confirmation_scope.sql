-- dncsync schema 5: a destination's confirmation keeps the scope and policy of the request it
-- pushed (queue.Confirmed): the evidence of which scope put a number on a destination's list, or
-- took it off. Rows of before are empty (the request's own record, in events, has them).
-- Columns with a constant default are added without rewriting the table.

ALTER TABLE confirmations
    ADD COLUMN scope           text NOT NULL DEFAULT '',
    ADD COLUMN consent_channel text NOT NULL DEFAULT '',
    ADD COLUMN purpose         text NOT NULL DEFAULT '',
    ADD COLUMN policy          text NOT NULL DEFAULT '';

CREATE OR REPLACE VIEW audit_trail AS
    SELECT seq, at, number, kind, '' AS destination, action, raw, source, channel, reason, scope,
           event_id, '' AS region, occurred_at, received_at, expires_at, '' AS detail, repeats,
           consent_channel, purpose, policy
      FROM events
    UNION ALL
    SELECT seq, at, number, kind, destination, action, '', '', '', '', scope, '', '', occurred_at, NULL,
           expires_at, detail, 0, consent_channel, purpose, policy
      FROM confirmations
    UNION ALL
    SELECT seq, at, number, kind, '', '', raw, source, channel, said, '', event_id, region, NULL,
           received_at, NULL, reason, 0, '', '', ''
      FROM rejections;
