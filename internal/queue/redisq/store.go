// Package redisq is the Redis queue store: sorted sets for order, a hash per number for its entry,
// Lua scripts for every step that touches more than one key.
package redisq

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
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
	// MinReplicas is how many replicas must hold an enqueue before Enqueue returns (Redis WAIT),
	// so that a failover to a replica loses no accepted opt-out. 0: the primary's write is enough.
	MinReplicas int
	// Destinations names the destinations each event is queued for (queue.CheckDestinations);
	// the first one is the primary, the Store that New returns. Default: one, "cxone".
	Destinations []string
	// ReplicaTimeout bounds that wait; an enqueue that fewer replicas confirmed in time fails as
	// unavailable (the sender retries; the retry is a duplicate, not a loss). Default 2s.
	ReplicaTimeout time.Duration
	// Rejections bounds rejected input (queue.RejectionLimits); the zero value is the defaults.
	// MaxFill is a share of the server's maxmemory (used_memory, read by reject.lua).
	Rejections queue.RejectionLimits
}

// Store is a queue.Queue on Redis.
type Store struct {
	rdb    redis.UniversalClient
	prefix string // "{ns}:" — the braces are the hash tag
	ttl    time.Duration
	now    func() time.Time

	minReplicas    int
	replicaTimeout time.Duration

	// d is the destination this Store acts for (Dest); dests are all of them, d among them.
	d     *destQueue
	dests []*destQueue

	ready, leased, dead, age, rejections string // d's sets, and the store's rejections
	rejSeen, rejStats                    string // the rejections' identities and counters
	rejLimits                            queue.RejectionLimits

	group *enqueueGroup // concurrent enqueues share script calls, whichever destination's Store
}

var _ queue.Queue = (*Store)(nil)

// Open connects to the Redis that url names. It does not wait for the server: a store that is
// down at start is retried by every call, and Ping tells readiness why. The forms (go-redis's
// URL parsers; docs/redis.md, "Redis topologies"):
//
//	redis://[user:password@]host:6379[/db]        one server; rediss:// for TLS
//	redis://sentinel:26379?master_name=NAME[&addr=sentinel2:26379...][&password=...]
//	                                              Sentinel: the host and addr are sentinels; the
//	                                              URL's user:password authenticates to them,
//	                                              password= and username= to the primary
//	redis://[user:password@]node:6379?cluster=true[&addr=node2:6379...]
//	                                              Cluster: seed nodes (any addr= makes it a cluster)
func Open(rawURL string, opts Options) (*Store, error) {
	rdb, err := Connect(rawURL)
	if err != nil {
		return nil, err
	}
	s, err := New(rdb, opts)
	if err != nil {
		rdb.Close()
		return nil, err
	}
	return s, nil
}

// Connect makes the client for one of Open's URL forms.
func Connect(rawURL string) (redis.UniversalClient, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redisq: REDIS_URL: %w", redactURL(err, rawURL))
	}
	q := u.Query()
	cluster := q.Get("cluster")
	q.Del("cluster")
	u.RawQuery = q.Encode()
	switch {
	case q.Has("master_name"):
		o, err := redis.ParseFailoverURL(u.String())
		if err != nil {
			return nil, fmt.Errorf("redisq: REDIS_URL (Sentinel): %w", redactURL(err, rawURL))
		}
		o.PoolSize, o.MaxRetries, o.ContextTimeoutEnabled = poolSize, -1, true
		return redis.NewFailoverClient(o), nil
	case cluster == "true" || q.Has("addr"):
		o, err := redis.ParseClusterURL(u.String())
		if err != nil {
			return nil, fmt.Errorf("redisq: REDIS_URL (Cluster): %w", redactURL(err, rawURL))
		}
		// MaxRedirects (default 3) still follows MOVED and ASK during a failover.
		o.PoolSize, o.MaxRetries, o.ContextTimeoutEnabled = poolSize, -1, true
		return redis.NewClusterClient(o), nil
	case cluster != "" && cluster != "false":
		return nil, fmt.Errorf("redisq: REDIS_URL: cluster=%q, want true or false", cluster)
	}
	o, err := redis.ParseURL(u.String())
	if err != nil {
		return nil, fmt.Errorf("redisq: REDIS_URL: %w", redactURL(err, rawURL))
	}
	o.PoolSize, o.MaxRetries, o.ContextTimeoutEnabled = poolSize, -1, true
	return redis.NewClient(o), nil
}

// Every client: webhook handlers each hold a connection for one script call, and a larger pool than
// the default keeps intake from queueing on the pool at tens of thousands of requests a second. No
// client-side retries: the scripts are not idempotent (a retried enqueue would answer "duplicate");
// intake answers 503 and the pusher tries again instead. Callers' deadlines (a webhook's store
// timeout) bound each command, not only the socket timeouts (ContextTimeoutEnabled).
const poolSize = 64

// redactURL keeps a password in the URL out of an error that will be logged.
func redactURL(err error, rawURL string) error {
	u, perr := url.Parse(rawURL)
	if perr != nil || u.User == nil {
		if perr != nil {
			return errors.New("not a URL")
		}
		return err
	}
	if p, ok := u.User.Password(); ok && p != "" {
		return errors.New(strings.ReplaceAll(err.Error(), p, "xxxxx"))
	}
	return err
}

// New wraps an existing client. It fails only for destination names queue.CheckDestinations
// refuses.
func New(rdb redis.UniversalClient, opts Options) (*Store, error) {
	if opts.Namespace == "" {
		opts.Namespace = "dncsync"
	}
	if opts.EventIDTTL <= 0 {
		opts.EventIDTTL = 7 * 24 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ReplicaTimeout <= 0 {
		opts.ReplicaTimeout = 2 * time.Second
	}
	p := "{" + opts.Namespace + "}:"
	dests, err := newDestQueues(p, opts.Destinations)
	if err != nil {
		return nil, err
	}
	d := dests[0]
	return &Store{rdb: rdb, prefix: p, ttl: opts.EventIDTTL, now: opts.Now,
		minReplicas: opts.MinReplicas, replicaTimeout: opts.ReplicaTimeout, d: d, dests: dests,
		ready: d.ready, leased: d.leased, dead: d.dead, age: d.age, rejections: p + "rejections",
		rejSeen: p + "rejseen", rejStats: p + "rejstats", rejLimits: opts.Rejections.OrDefaults(),
		group: &enqueueGroup{}}, nil
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
	node := s.node(ctx) // in a cluster, the node that holds the queue's slot
	if v, err := node.ConfigGet(ctx, "appendonly").Result(); err == nil && v["appendonly"] != "yes" {
		out = append(out, "Redis runs without appendonly: a Redis restart loses accepted opt-outs; set appendonly yes")
	}
	if v, err := node.ConfigGet(ctx, "maxmemory-policy").Result(); err == nil {
		if p := v["maxmemory-policy"]; p != "" && p != "noeviction" {
			out = append(out, "Redis maxmemory-policy is "+p+": keys can be evicted, which loses opt-outs; set noeviction")
		}
	}
	return out
}
