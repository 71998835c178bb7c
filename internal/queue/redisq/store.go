// Package redisq is the Redis queue store: sorted sets for order, a hash per number for its entry,
// Lua scripts for every step that touches more than one key.
package redisq

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dncsync/dncsync/internal/queue"
)

// Options configure a Store.
type Options struct {
	// Namespace names the queue; its keys are "{Namespace}:...". Default "dncsync".
	Namespace string
	// EventIDTTL is how long event ids are remembered. Default 7 days.
	EventIDTTL time.Duration
	// Now is the clock, for tests. Default time.Now.
	Now func() time.Time
}

// Store is a queue.Queue on Redis.
type Store struct {
	rdb    redis.UniversalClient
	prefix string // "{ns}:" — the braces are the hash tag
	ttl    time.Duration
	now    func() time.Time

	ready, leased, dead, age, rejections string

	group enqueueGroup // concurrent enqueues share script calls
}

var _ queue.Queue = (*Store)(nil)

// Open connects to the Redis at url (redis:// or rediss://). It does not wait for the server: a
// store that is down at start is retried by every call, and Ping tells readiness why.
func Open(url string, opts Options) (*Store, error) {
	o, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redisq: REDIS_URL: %w", err)
	}
	// Webhook handlers each hold a connection for one script call; a larger pool than the default
	// keeps intake from queueing on the pool at tens of thousands of requests a second.
	o.PoolSize = 64
	// No client-side retries: the scripts are not idempotent (a retried enqueue would answer
	// "duplicate"); intake answers 503 and the pusher tries again instead.
	o.MaxRetries = -1
	// Callers' deadlines (a webhook's store timeout) bound each command, not only the socket timeouts.
	o.ContextTimeoutEnabled = true
	return New(redis.NewClient(o), opts), nil
}

// New wraps an existing client.
func New(rdb redis.UniversalClient, opts Options) *Store {
	if opts.Namespace == "" {
		opts.Namespace = "dncsync"
	}
	if opts.EventIDTTL <= 0 {
		opts.EventIDTTL = 7 * 24 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	p := "{" + opts.Namespace + "}:"
	return &Store{rdb: rdb, prefix: p, ttl: opts.EventIDTTL, now: opts.Now,
		ready: p + "ready", leased: p + "leased", dead: p + "dead", age: p + "age", rejections: p + "rejections"}
}

// Ping checks that the store can commit: a write, so that a Redis refusing writes (out of memory
// under noeviction, a read-only replica, a failing disk with AOF) reports as unavailable.
func (s *Store) Ping(ctx context.Context) error {
	return wrap("ping", s.rdb.Set(ctx, s.prefix+"probe", ms(s.now()), 0).Err())
}

// Close closes the client.
func (s *Store) Close() error { return s.rdb.Close() }

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v)
}

// wrap marks Redis failures as unavailability, which intake answers with 503 and the pusher with a
// pause; the caller's own cancellation stays what it is.
func wrap(op string, err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		if err != nil {
			return fmt.Errorf("redisq: %s: %w", op, err)
		}
		return nil
	}
	return fmt.Errorf("redisq: %s: %w: %w", op, queue.ErrUnavailable, err)
}

// DurabilityWarnings reads the server's settings and says which would lose accepted opt-outs.
// Managed services often forbid CONFIG GET: then it says nothing rather than guess.
func (s *Store) DurabilityWarnings(ctx context.Context) []string {
	var out []string
	if v, err := s.rdb.ConfigGet(ctx, "appendonly").Result(); err == nil && v["appendonly"] != "yes" {
		out = append(out, "Redis runs without appendonly: a Redis restart loses accepted opt-outs; set appendonly yes")
	}
	if v, err := s.rdb.ConfigGet(ctx, "maxmemory-policy").Result(); err == nil {
		if p := v["maxmemory-policy"]; p != "" && p != "noeviction" {
			out = append(out, "Redis maxmemory-policy is "+p+": keys can be evicted, which loses opt-outs; set noeviction")
		}
	}
	return out
}
