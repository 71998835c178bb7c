-- dncsync schema 2: views for the questions auditors ask most (docs/postgres.md has examples).

-- The destinations the service runs with, as it last recorded them (serve records them at start).
CREATE VIEW destinations AS
    SELECT d AS destination, ord AS position
      FROM meta, unnest(string_to_array(value, ',')) WITH ORDINALITY AS u(d, ord)
     WHERE key = 'destinations';

-- Every request as received, with each destination's first confirmation of that action at or after
-- it: when it was confirmed and how long that took (NULL while it is not).
CREATE VIEW request_confirmations AS
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

-- The dead letters of every destination, with what they ask and why they died.
CREATE VIEW dead_letters AS
    SELECT destination, number, action, source, raw, first_received_at, at AS dead_at, attempts, last_error
      FROM queue WHERE status = 'dead';

-- Requests received per day, source and action (stale: older than what was already confirmed).
CREATE VIEW daily_requests AS
    SELECT date_trunc('day', received_at) AS day, source, action, kind, count(*) AS requests, sum(1 + repeats) AS asked
      FROM events GROUP BY 1, 2, 3, 4;
