// Package boltq is the embedded queue store, used when no Redis is configured. It keeps the whole
// queue and its audit trail in one bbolt file; every method that returns nil has committed and
// fsynced its change, with the audit records that witness it.
package boltq

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Options tune a Store. The zero value is ready to use.
type Options struct {
	EventIDTTL time.Duration    // how long event ids are remembered; default 7 * 24h
	Now        func() time.Time // for tests; default time.Now
	// MaxLostLeases dead-letters an entry whose lease is found at open (its process crashed) once
	// its lost leases reach it, as Recover's maxLost; 0: never.
	MaxLostLeases int
	// Destinations names the destinations each event is queued for (queue.CheckDestinations);
	// the first one is the primary, the Store that Open returns. Default: one, "cxone".
	Destinations []string
	// Rejections bounds rejected input (queue.RejectionLimits); the zero value is the defaults.
	// The store's limit that MaxFill is a share of is the filesystem holding the file (fill.go).
	Rejections queue.RejectionLimits
	// Usage reports the bytes used and the limit that Rejections.MaxFill compares, for tests;
	// default: the filesystem's (usage).
	Usage func() (used, limit uint64, err error)
	// ReadOnly opens an existing file for reading only, under a shared lock beside other readers
	// (readonly.go): nothing is created, upgraded or reclaimed, and writes return ErrNeedsWrite.
	ReadOnly bool
}

const (
	defaultEventIDTTL = 7 * 24 * time.Hour
	// lockTimeout bounds the wait for bbolt's file lock so that a second process fails with a
	// clear message instead of hanging.
	lockTimeout = time.Second
	// batchDelay is how long db.Batch waits to gather concurrent enqueues into one fsync. bbolt's
	// default (10ms) puts a floor of 10ms on every webhook; a commit here takes about as long as
	// one fsync, so waiting about that long already fills the batches (see BenchmarkEnqueue).
	batchDelay = 2 * time.Millisecond
	// format is the layout of the buckets, checked at open so that an older build refuses a file
	// a newer one has changed rather than misreading it. Layout 2 added the audit trail, layout 3
	// the rejections' limits, layout 4 the one encoding of values (queue.Codec); files of layouts 1
	// (formatNoAudit), 2 (formatNoRejStats) and 3 (formatFieldBytes) are upgraded at open
	// (initBuckets, then upgradeValues).
	format           byte = 4
	formatNoAudit    byte = 1
	formatNoRejStats byte = 2
	formatFieldBytes byte = 3
)

var _ queue.Store = (*Store)(nil)

// Store is a queue.Queue in a bbolt file. It is safe for concurrent use.
type Store struct {
	db  *bolt.DB
	ttl time.Duration
	now func() time.Time
	// stalled counts writes still waiting for a commit their callers gave up on (write); shared by
	// every destination's Store.
	stalled *atomic.Int64
	// d is the destination this Store acts for (Dest); dests are all of them, d among them.
	d     *destBuckets
	dests []*destBuckets

	rejLimits queue.RejectionLimits
	usage     func() (used, limit uint64, err error)
	readOnly  bool  // Options.ReadOnly
	mapped    int64 // the file's size at a read-only open (readDone)
}

// maxStalled bounds the writes left waiting on a hung disk: past it, writes fail at once instead
// of each leaving a goroutine behind for as long as the disk hangs.
const maxStalled = 256

var errStalled = errors.New("earlier writes are still waiting for the disk")

// write runs fn in a write transaction through commit (db.Batch or db.Update) and returns when the
// commit does or when ctx is done, whichever is first. A frozen or failing disk blocks fsync for as
// long as it lasts, and a caller with a deadline (a webhook answering 503) must not hang with it.
// A transaction the caller gave up on may still commit once the disk returns: it was not
// acknowledged, and what it wrote is what a retry by the sender would write again (an event id
// makes the retry a duplicate; without one, a merged repeat).
func (s *Store) write(ctx context.Context, commit func(func(*bolt.Tx) error) error, fn func(*bolt.Tx) error) error {
	if ctx.Done() == nil {
		return commit(fn)
	}
	if s.stalled.Load() >= maxStalled {
		return errStalled
	}
	done := make(chan error, 1)
	go func() { done <- commit(fn) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		s.stalled.Add(1)
		go func() { <-done; s.stalled.Add(-1) }()
		return fmt.Errorf("commit did not finish in time (a slow or frozen disk?): %w", ctx.Err())
	}
}

// Open opens or creates the store at path, creating its directory if needed.
func Open(path string, opts Options) (*Store, error) {
	dests, err := newDestBuckets(opts.Destinations)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	if opts.ReadOnly {
		db, size, err := openReadOnly(path, dests)
		if err != nil {
			return nil, err
		}
		s := newStore(db, dir, dests, opts)
		s.mapped = size
		return s, nil
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("boltq: create data dir: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout: lockTimeout,
		// The hashmap freelist stays fast when acks free many pages; not syncing it saves a write
		// per commit and costs only a freelist rebuild at open. Neither weakens durability: NoSync
		// stays false, so every commit is fsynced.
		FreelistType:   bolt.FreelistMapType,
		NoFreelistSync: true,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("boltq: data dir %s is in use by another dncsync process: %w", dir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("boltq: open %s: %w", path, err)
	}
	db.MaxBatchDelay = batchDelay
	if err := db.Update(func(tx *bolt.Tx) error { return initBuckets(tx, dests) }); err != nil {
		db.Close()
		return nil, fmt.Errorf("boltq: open %s: %w", path, err)
	}
	if err := upgradeValues(db, dests); err != nil {
		db.Close()
		return nil, fmt.Errorf("boltq: open %s: upgrade to layout %d: %w", path, format, err)
	}
	s := newStore(db, dir, dests, opts)
	if err := s.reclaimOrphans(opts.MaxLostLeases); err != nil {
		db.Close()
		return nil, fmt.Errorf("boltq: open %s: %w", path, err)
	}
	return s, nil
}

// newStore is the Store on db, opened as opts say, with their defaults.
func newStore(db *bolt.DB, dir string, dests []*destBuckets, opts Options) *Store {
	s := &Store{db: db, ttl: opts.EventIDTTL, now: opts.Now, stalled: new(atomic.Int64), d: dests[0], dests: dests,
		rejLimits: opts.Rejections.OrDefaults(), usage: opts.Usage, readOnly: opts.ReadOnly}
	if s.usage == nil {
		s.usage = func() (uint64, uint64, error) { return usage(dir) }
	}
	if s.ttl <= 0 {
		s.ttl = defaultEventIDTTL
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Ping checks that the store can commit: it writes and syncs a small probe record, so a full,
// frozen or failing disk reports as unavailable (readiness), not only a closed file. A read-only
// Store cannot (ErrNeedsWrite).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.writable("ping"); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("boltq: ping: %w", err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
	}
	at := binary.BigEndian.AppendUint64(nil, uint64(ms(s.now())))
	err := s.write(ctx, s.db.Update, func(tx *bolt.Tx) error { return tx.Bucket(bMeta).Put(keyProbe, at) })
	if err != nil {
		return unavailable("ping", err)
	}
	return nil
}

// Close releases the file and its lock. Calling it again is harmless.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("boltq: close: %w", err)
	}
	return nil
}

// unavailable wraps a storage failure so that callers answer "try again later": a closed
// store, a full disk or a failed fsync all mean the change was not made.
func unavailable(op string, err error) error {
	if errors.Is(err, berrors.ErrDatabaseReadOnly) { // a write that missed its writable check
		return fmt.Errorf("boltq: %s: %w: %w", op, ErrNeedsWrite, err)
	}
	return fmt.Errorf("boltq: %s: %w: %w", op, queue.ErrUnavailable, err)
}

// ms is the millisecond precision the store keeps.
func ms(t time.Time) int64 { return t.UnixMilli() }

// atMs is t as the store keeps it: to the millisecond, in UTC; the zero time stays zero.
func atMs(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}
