-- dncsync schema 5: a destination's confirmation records the scope and policy of the request it
-- pushed (queue.Confirmed), so that a destination's evidence says which scope put each number there.
-- Nullable, no default: rows written before have none (they were all-scope pushes), and an empty
-- value costs a bit in the row's null bitmap rather than a byte a column.

ALTER TABLE confirmations
    ADD COLUMN scope           text,
    ADD COLUMN consent_channel text,
    ADD COLUMN purpose         text,
    ADD COLUMN policy          text;

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
