// Package pgq is the PostgreSQL store: the queue and the evidence in one database, so that
// accepting an event (its queue entries, each destination's state, its audit record, its event-id
// key) is one transaction, and an auditor can read the evidence with SQL (docs/postgres.md).
//
// The rules stay in Go: every write locks the rows of the numbers it touches (numbers, always in
// number order, so that concurrent writers cannot deadlock), loads them with their queue entries
// and destination states, applies the same logic as the embedded store (queue.Wins, queue.Merge)
// and writes back what changed, in the transaction it read in. Claims take ready entries with
// FOR UPDATE SKIP LOCKED; a new entry NOTIFYs the destination's channel after its commit (Listen,
// notifier), so that every replica's pusher wakes.
//
// The schema is embedded versioned SQL (migrate.go); Open refuses a database whose schema is not
// this build's and names the command that migrates it.
package pgq

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dncsync/dncsync/internal/queue"
)

// Options tune a Store. The zero value is ready to use.
type Options struct {
	EventIDTTL time.Duration    // how long event ids are remembered; default 7 * 24h
	Now        func() time.Time // the queue's and the records' clock, for tests; default time.Now
	// Destinations names the destinations each event is queued for (queue.CheckDestinations); the
	// first is the primary, the Store that Open returns. Default: one, "cxone".
	Destinations []string
	// Rejections bounds rejected input (queue.RejectionLimits); the zero value is the defaults.
	Rejections queue.RejectionLimits
	// Usage reports the bytes used and the limit that Rejections.MaxFill compares; nil: the store
	// has no limit it knows of (a database grows with its disk), and rejections are never crowded.
	Usage func(ctx context.Context) (used, limit uint64, err error)
	// MaxConns bounds the pool; 0: pgxpool's default (4 per CPU, at least 4) or the URL's
	// pool_max_conns.
	MaxConns int32
}

const defaultEventIDTTL = 7 * 24 * time.Hour

var _ queue.Store = (*Store)(nil)

// dest is one destination's part of the store: its rows of queue and number_destinations.
type dest struct {
	name  string
	label string // in audit records: name, or "" when there is only one destination
}

// Store is a queue.Store in PostgreSQL. It is safe for concurrent use, and any number of processes
// may share one database.
type Store struct {
	pool  *pgxpool.Pool
	ttl   time.Duration
	now   func() time.Time
	d     *dest
	dests []*dest
	// channel prefixes the NOTIFY channels of this schema's destinations.
	channel string

	rejLimits queue.RejectionLimits
	usage     func(ctx context.Context) (used, limit uint64, err error)
	group     *committer
	notify    *notifier
}

// Open connects to the database at url (a postgres:// URL; search_path in it selects the schema)
// and checks that its schema is this build's (SchemaError otherwise: run Migrate).
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	names, err := queue.DestinationNames(opts.Destinations)
	if err != nil {
		return nil, fmt.Errorf("pgq: %w", err)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("pgq: DATABASE_URL: %w", err)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgq: connect: %w", err)
	}
	s := &Store{pool: pool, ttl: opts.EventIDTTL, now: opts.Now, rejLimits: opts.Rejections.OrDefaults(), usage: opts.Usage}
	for _, n := range names {
		d := &dest{name: n}
		if len(names) > 1 {
			d.label = n
		}
		s.dests = append(s.dests, d)
	}
	s.d = s.dests[0]
	if s.ttl <= 0 {
		s.ttl = defaultEventIDTTL
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.group = newCommitter(s)
	if err := checkSchema(ctx, pool); err != nil {
		pool.Close()
		var se *SchemaError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("pgq: %w", err)
		}
		return nil, unavailable("open", err)
	}
	if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&s.channel); err != nil {
		pool.Close()
		return nil, unavailable("open", err)
	}
	s.channel = "dncsync_" + s.channel + "_"
	if err := s.ensurePartitions(ctx, s.now()); err != nil {
		pool.Close()
		return nil, unavailable("open: partitions", err)
	}
	s.notify = newNotifier(pool)
	return s, nil
}

// Pool is the store's connection pool, for the doctor's and the tools' own queries.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Ping checks that the database answers and commits: a probe row written in a transaction, so
// that a read-only or full database reports as unavailable.
func (s *Store) Ping(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO meta (key, value) VALUES ('probe', $1)
		ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`, s.now().UTC().Format(time.RFC3339Nano))
	if err != nil {
		return unavailable("ping", err)
	}
	return nil
}

// Close releases the pool. Calling it again is harmless.
func (s *Store) Close() error {
	s.group.close()
	if s.notify != nil {
		s.notify.close()
	}
	s.pool.Close()
	return nil
}

// Destinations names the destinations every event is queued for, the primary first.
func (s *Store) Destinations() []string {
	out := make([]string, len(s.dests))
	for i, d := range s.dests {
		out[i] = d.name
	}
	return out
}

// Dest is the store as destination name's pusher sees it (queue.Router).
func (s *Store) Dest(name string) (queue.Store, error) {
	return s.DestStore(name)
}

// DestStore is Dest with the concrete type (its Limiter).
func (s *Store) DestStore(name string) (*Store, error) {
	for _, d := range s.dests {
		if d.name == name {
			v := *s
			v.d = d
			return &v, nil
		}
	}
	return nil, fmt.Errorf("pgq: %w: %q (configured: %v)", queue.ErrNoDestination, name, s.Destinations())
}

func (s *Store) label(name string) string {
	if len(s.dests) == 1 && name == s.dests[0].name {
		return ""
	}
	return name
}

// unavailable wraps a database failure so that callers answer "try again later".
func unavailable(op string, err error) error {
	return fmt.Errorf("pgq: %s: %w: %w", op, queue.ErrUnavailable, err)
}

// ms is t as the store keeps it: to the millisecond, in UTC; the zero time stays zero.
func ms(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}

// tz is t as a parameter: NULL for the zero time.
func tz(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return ms(t)
}

// tm scans a nullable timestamptz into *p (the zero time for NULL).
type tm struct{ p *time.Time }

func (s tm) ScanTimestamptz(v pgtype.Timestamptz) error {
	if v.Valid {
		*s.p = v.Time.UTC()
	} else {
		*s.p = time.Time{}
	}
	return nil
}

// inTx runs fn in a transaction and commits.
func (s *Store) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}
