-- dncsync schema 1: the queue, each number's standing, and the evidence, in one database.
-- Times are timestamptz to the millisecond (what every store keeps). Tables whose names an auditor
-- reads are plain words; docs/postgres.md describes each column.

-- One row per number (E.164), or per rejection key ("rejected:<digits>") of input that was not one.
CREATE TABLE numbers (
    number             text PRIMARY KEY,
    -- The primary destination's standing as last written (pending and dead come from the queue:
    -- see the view number_standing), or rejected/ignored while only refused input was seen.
    state              text NOT NULL DEFAULT '',
    first_requested_at timestamptz,          -- first receipt ever: never reset
    last_event_at      timestamptz,
    newest_seq         bigint                -- its newest audit record (retention keeps it)
);

-- What each destination last confirmed of a number, and its last error.
CREATE TABLE number_destinations (
    number                text NOT NULL,
    destination           text NOT NULL,
    state                 text NOT NULL DEFAULT '',
    confirmed_action      text,
    confirmed_occurred_at timestamptz,
    confirmed_at          timestamptz,
    confirmed_expires_at  timestamptz,
    last_error            text NOT NULL DEFAULT '',
    PRIMARY KEY (number, destination)
);

-- The work queue: one entry per destination and number until the destination confirms it.
CREATE TABLE queue (
    destination       text NOT NULL,
    number            text NOT NULL,
    status            text NOT NULL CHECK (status IN ('ready', 'leased', 'dead')),
    at                timestamptz NOT NULL,  -- ready: due; leased: lease deadline; dead: when it died
    action            text NOT NULL,
    raw               text NOT NULL DEFAULT '',
    source            text NOT NULL DEFAULT '',
    channel           text NOT NULL DEFAULT '',
    reason            text NOT NULL DEFAULT '',
    scope             text NOT NULL DEFAULT '',
    occurred_at       timestamptz NOT NULL,
    first_received_at timestamptz NOT NULL,
    last_received_at  timestamptz NOT NULL,
    expires_at        timestamptz,
    events            integer NOT NULL DEFAULT 1,
    attempts          integer NOT NULL DEFAULT 0,
    lost_leases       integer NOT NULL DEFAULT 0,
    last_error        text NOT NULL DEFAULT '',
    version           bigint NOT NULL DEFAULT 1,
    lease             text NOT NULL DEFAULT '',
    PRIMARY KEY (destination, number)
);
CREATE INDEX queue_due ON queue (destination, status, at, number);
CREATE INDEX queue_first ON queue (destination, first_received_at) WHERE status <> 'dead';

-- Event ids seen, per number, until they expire (idempotency).
CREATE TABLE event_ids (
    event_id   text NOT NULL,
    number     text NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (event_id, number)
);
CREATE INDEX event_ids_expiry ON event_ids (expires_at);

-- One sequence orders every audit record, whatever its table: the order written.
CREATE SEQUENCE audit_seq;

-- Every accepted event as received (kind received, or stale: older than what was confirmed).
-- Partitioned by month of "at" (when dncsync wrote it); retention drops whole months. The default
-- partition events_kept holds the newest record of numbers whose month was dropped.
CREATE TABLE events (
    seq         bigint NOT NULL,
    at          timestamptz NOT NULL,
    number      text NOT NULL,
    kind        text NOT NULL,
    action      text NOT NULL,
    raw         text NOT NULL DEFAULT '',
    source      text NOT NULL DEFAULT '',
    channel     text NOT NULL DEFAULT '',
    reason      text NOT NULL DEFAULT '',
    scope       text NOT NULL DEFAULT '',
    event_id    text NOT NULL DEFAULT '',
    occurred_at timestamptz,
    received_at timestamptz,
    expires_at  timestamptz,
    repeats     integer NOT NULL DEFAULT 0,
    PRIMARY KEY (seq, at)
) PARTITION BY RANGE (at);
CREATE INDEX events_number ON events (number, seq);
CREATE TABLE events_kept PARTITION OF events DEFAULT;

-- Every push outcome per destination: what was sent (action, occurred_at, expires_at), when (at)
-- and the answer (kind: confirmed, failed, dead, requeued, dropped; detail: the destination's
-- answer or the error).
CREATE TABLE confirmations (
    seq         bigint NOT NULL,
    at          timestamptz NOT NULL,
    number      text NOT NULL,
    destination text NOT NULL,
    kind        text NOT NULL,
    action      text NOT NULL DEFAULT '',
    occurred_at timestamptz,
    expires_at  timestamptz,
    detail      text NOT NULL DEFAULT '',
    PRIMARY KEY (seq, at)
) PARTITION BY RANGE (at);
CREATE INDEX confirmations_number ON confirmations (number, seq);
CREATE TABLE confirmations_kept PARTITION OF confirmations DEFAULT;

-- Input not acted on: rejected (not a valid request) or ignored (words that ask for nothing). Held
-- to its own limits (retention, a cap: queue/rejections.go), so not partitioned: rows go oldest first.
CREATE TABLE rejections (
    seq          bigint PRIMARY KEY,
    at           timestamptz NOT NULL,
    number       text NOT NULL DEFAULT '',   -- the number, or the rejection key of the raw input
    valid_number boolean NOT NULL DEFAULT false,
    kind         text NOT NULL,
    raw          text NOT NULL DEFAULT '',
    body         text NOT NULL DEFAULT '',   -- first bytes of what arrived
    said         text NOT NULL DEFAULT '',
    reason       text NOT NULL DEFAULT '',   -- a code: too_short, sms_no_keyword, ...
    region       text NOT NULL DEFAULT '',
    source       text NOT NULL DEFAULT '',
    channel      text NOT NULL DEFAULT '',
    event_id     text NOT NULL DEFAULT '',
    received_at  timestamptz,
    hash         text NOT NULL DEFAULT '',   -- SHA-256 of the whole as received
    bytes        integer NOT NULL DEFAULT 0,
    identity     text
);
CREATE INDEX rejections_number ON rejections (number, seq);
CREATE UNIQUE INDEX rejections_identity ON rejections (identity) WHERE identity IS NOT NULL;
CREATE INDEX rejections_rejected ON rejections (seq) WHERE kind = 'rejected';

CREATE TABLE rejection_counts (
    one        boolean PRIMARY KEY DEFAULT true CHECK (one),
    kept       bigint NOT NULL DEFAULT 0,
    recorded   bigint NOT NULL DEFAULT 0,
    duplicates bigint NOT NULL DEFAULT 0,
    shed       bigint NOT NULL DEFAULT 0,
    skipped    bigint NOT NULL DEFAULT 0
);
INSERT INTO rejection_counts DEFAULT VALUES;

-- Small settings the service records: the destinations it runs with, last confirmation per destination.
CREATE TABLE meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);

-- Revoked console sessions.
CREATE TABLE sessions (
    id    text PRIMARY KEY,
    until timestamptz NOT NULL
);

-- The shared pacer of each destination, on the database's clock.
CREATE TABLE pace (
    name     text PRIMARY KEY,
    next     timestamptz,
    until    timestamptz,
    rpm      double precision NOT NULL DEFAULT 0,
    since    timestamptz,
    streak   integer NOT NULL DEFAULT 0
);

-- Every audit record in one list, in the order written: what lookup and export read.
CREATE VIEW audit_trail AS
    SELECT seq, at, number, kind, '' AS destination, action, raw, source, channel, reason, scope,
           event_id, '' AS region, occurred_at, received_at, expires_at, '' AS detail, repeats
      FROM events
    UNION ALL
    SELECT seq, at, number, kind, destination, action, '', '', '', '', '', '', '', occurred_at, NULL,
           expires_at, detail, 0
      FROM confirmations
    UNION ALL
    SELECT seq, at, number, kind, '', '', raw, source, channel, said, '', event_id, region, NULL,
           received_at, NULL, reason, 0
      FROM rejections;

-- Each number's standing per destination, as lookup reports it: dead or pending while queued.
CREATE VIEW number_standing AS
    SELECT n.number, d.destination,
           CASE q.status WHEN 'dead' THEN 'dead' WHEN 'ready' THEN 'pending' WHEN 'leased' THEN 'pending'
                ELSE CASE WHEN d.state = 'synced' AND d.confirmed_action = 'add' AND d.confirmed_expires_at <= now()
                          THEN 'expired' ELSE d.state END END AS state,
           n.first_requested_at, n.last_event_at, d.confirmed_action, d.confirmed_occurred_at, d.confirmed_at,
           d.confirmed_expires_at, d.last_error
      FROM numbers n
      JOIN number_destinations d ON d.number = n.number
      LEFT JOIN queue q ON q.destination = d.destination AND q.number = n.number
     WHERE n.number LIKE '+%'
    UNION ALL
    SELECT q.number, q.destination, CASE q.status WHEN 'dead' THEN 'dead' ELSE 'pending' END,
           n.first_requested_at, n.last_event_at, NULL, NULL, NULL, NULL, q.last_error
      FROM queue q JOIN numbers n ON n.number = q.number
     WHERE NOT EXISTS (SELECT 1 FROM number_destinations d WHERE d.number = q.number AND d.destination = q.destination);
