// Package boltq is the embedded queue store, used when no Redis is configured. It keeps the whole
// queue and its audit trail in one bbolt file; every method that returns nil has committed and
// fsynced its change, with the audit records that witness it.
package boltq

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Options tune a Store. The zero value is ready to use.
type Options struct {
	EventIDTTL time.Duration    // how long event ids are remembered; default 7 * 24h
	Now        func() time.Time // for tests; default time.Now
	// MaxAttempts dead-letters a lease found at open whose attempts reach it; 0: never.
	MaxAttempts int
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
	// a newer one has changed rather than misreading it. Layout 2 added the audit trail; a file of
	// layout 1 (formatNoAudit) is upgraded at open (initBuckets).
	format        byte = 2
	formatNoAudit byte = 1
)

var _ queue.Store = (*Store)(nil)

// Store is a queue.Queue in a bbolt file. It is safe for concurrent use.
type Store struct {
	db  *bolt.DB
	ttl time.Duration
	now func() time.Time
}

// Open opens or creates the store at path, creating its directory if needed.
func Open(path string, opts Options) (*Store, error) {
	dir := filepath.Dir(path)
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
	if err := db.Update(initBuckets); err != nil {
		db.Close()
		return nil, fmt.Errorf("boltq: open %s: %w", path, err)
	}
	s := &Store{db: db, ttl: opts.EventIDTTL, now: opts.Now}
	if s.ttl <= 0 {
		s.ttl = defaultEventIDTTL
	}
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.reclaimOrphans(opts.MaxAttempts); err != nil {
		db.Close()
		return nil, fmt.Errorf("boltq: open %s: %w", path, err)
	}
	return s, nil
}

// Ping checks that the file can still be read.
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("boltq: ping: %w", err)
	}
	if err := s.db.View(func(tx *bolt.Tx) error { return nil }); err != nil {
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
