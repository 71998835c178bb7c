package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"time"

	berrors "go.etcd.io/bbolt/errors"

	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/boltq"
	"github.com/dncsync/dncsync/internal/queue/pgq"
	"github.com/dncsync/dncsync/internal/queue/redisq"
)

// Store is the opened store, with what only some kinds of store have, known from opening it (no
// type assertion).
type Store struct {
	queue.Store
	// Name says which store it is, for logs and the demo: "postgresql", "redis", or "embedded in DIR".
	Name string
	// Embedded is true for the embedded store, which one process holds at a time.
	Embedded bool
	// limiter is the rate limiter of destination name that every replica on the store shares;
	// nil: each pacer keeps its own (the embedded store serves one process).
	limiter func(name string) (queue.Limiter, error)
	// durability says which of the store's settings would lose accepted opt-outs; nil: none can.
	durability func(ctx context.Context) []string
	// advice says which of the store's settings could lose the last moments' opt-outs on a crash,
	// logged at start but not refused (PostgreSQL's synchronous_commit=off); nil: none.
	advice func(ctx context.Context) []string
	// listen calls wake(destination) when another process queues work for it; nil: only this
	// process's enqueues wake its pushers.
	listen func(ctx context.Context, wake func(dest string))
}

// StoreFile is the embedded store's file in DNCSYNC_DATA_DIR.
const StoreFile = "dncsync.db"

// ErrStoreLocked is returned by OpenStore for an embedded store another process holds (a running
// serve, or for a writer a reading command), and by OpenStoreReadOnly for one a writer holds: the
// command must go through the service instead (--server).
var ErrStoreLocked = errors.New("the embedded store is held by another dncsync process")

// OpenStore opens the store the settings name: PostgreSQL with DATABASE_URL, Redis with REDIS_URL,
// else the embedded one in DNCSYNC_DATA_DIR.
func OpenStore(c *Config) (*Store, error) { return openStore(c, false) }

// OpenStoreReadOnly opens the store as OpenStore does for a command that only reads (status,
// lookup, audit export, rejected list, dlq list, scrub). PostgreSQL and Redis open as for any
// other; the embedded store opens read-only (boltq.Options.ReadOnly): under a shared lock beside
// other readers, creating and upgrading nothing, every write refused with boltq.ErrNeedsWrite.
// While serve (or another writer) holds the file it fails after a second with ErrStoreLocked, as
// OpenStore does: bbolt's lock keeps a reader and a writer apart, so a reader goes through the
// service (--server) while it runs.
func OpenStoreReadOnly(c *Config) (*Store, error) { return openStore(c, true) }

func openStore(c *Config, readOnly bool) (*Store, error) {
	dests := c.Destinations()
	// Each event goes to the destinations its scope reaches (routing).
	lanes, err := c.Lanes()
	if err != nil {
		return nil, err
	}
	if c.DatabaseURL != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		ps, err := pgq.Open(ctx, c.DatabaseURL, pgq.Options{EventIDTTL: c.EventIDTTL, Destinations: dests,
			Rejections: c.RejectionLimits()})
		if err != nil {
			return nil, err
		}
		return &Store{Store: routing{Store: ps, lanes: lanes}, Name: "postgresql",
			limiter: func(name string) (queue.Limiter, error) {
				v, err := ps.DestStore(name)
				if err != nil {
					return nil, err
				}
				return v.Limiter(), nil
			},
			advice: ps.DurabilityWarnings, listen: ps.Listen}, nil
	}
	if c.RedisURL != "" {
		rs, err := redisq.Open(c.RedisURL, redisq.Options{EventIDTTL: c.EventIDTTL, MinReplicas: c.RedisMinReplicas,
			Destinations: dests, Rejections: c.RejectionLimits()})
		if err != nil {
			return nil, err
		}
		return &Store{Store: routing{Store: rs, lanes: lanes}, Name: "redis",
			limiter: func(name string) (queue.Limiter, error) {
				v, err := rs.DestStore(name)
				if err != nil {
					return nil, err
				}
				return v.Limiter(), nil
			},
			durability: rs.DurabilityWarnings}, nil
	}
	bs, err := boltq.Open(filepath.Join(c.DataDir, StoreFile), boltq.Options{EventIDTTL: c.EventIDTTL,
		MaxLostLeases: c.MaxLostLeases, Destinations: dests, Rejections: c.RejectionLimits(), ReadOnly: readOnly})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("%w: %w", ErrStoreLocked, err)
	}
	if err != nil {
		return nil, err
	}
	name := "embedded in " + c.DataDir
	if readOnly {
		name += " (read-only)"
	}
	return &Store{Store: routing{Store: bs, lanes: lanes}, Name: name, Embedded: true}, nil
}

// Limiter is the limiter destination name's pacer shares with every replica; nil: its own.
func (s *Store) Limiter(name string) (queue.Limiter, error) {
	if s.limiter == nil {
		return nil, nil
	}
	return s.limiter(name)
}

// Listen calls wake(destination) when another process on the store queues work for it, until ctx
// is done; it returns at once for a store that cannot tell (each process then wakes its own).
func (s *Store) Listen(ctx context.Context, wake func(dest string)) {
	if s.listen != nil {
		s.listen(ctx, wake)
	}
}

// CheckDurable refuses a store whose settings would lose accepted opt-outs (Redis evicting keys,
// or without an append-only file), unless allowUnsafe says the operator knows why. A store that
// cannot be asked (down at start, or CONFIG forbidden by a managed service) is not refused.
func (s *Store) CheckDurable(allowUnsafe bool, log *slog.Logger) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if s.advice != nil {
		for _, a := range s.advice(ctx) {
			log.Warn(a)
		}
	}
	if s.durability == nil {
		return nil
	}
	problems := s.durability(ctx)
	if len(problems) == 0 {
		return nil
	}
	if allowUnsafe {
		for _, p := range problems {
			log.Warn(p + " (started anyway: DNCSYNC_ALLOW_UNSAFE_REDIS=true)")
		}
		return nil
	}
	return fmt.Errorf("refusing to start: %s; or set DNCSYNC_ALLOW_UNSAFE_REDIS=true to start anyway", strings.Join(problems, "; "))
}

// SameDestinations refuses to work on a store whose service last recorded other destinations than
// want: an import with fewer would leave its numbers callable on the others.
func (s *Store) SameDestinations(want []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got, err := s.RecordedDestinations(ctx)
	if err != nil || got == nil {
		return err
	}
	if !slices.Equal(got, want) {
		return fmt.Errorf("the service runs with DNCSYNC_DESTINATIONS=%s, this command with %s: set the same, so that "+
			"what it queues reaches every destination", strings.Join(got, ","), strings.Join(want, ","))
	}
	return nil
}
