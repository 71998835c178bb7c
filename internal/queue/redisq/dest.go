package redisq

import (
	"context"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/dncsync/dncsync/internal/queue"
)

// destQueue is one destination's part of the store: its ready, leased, dead and age sets, its item
// hashes, and its fields in each number's state hash. Event ids, the states' shared fields (first
// and last receipt), rejections and the audit trail are the store's, shared by all destinations.
//
// The first destination keeps the keys of a store with one destination ("{tag}:ready",
// "{tag}:item:<n>", state fields "st", "ca", ...), so that adding a destination to a running
// deployment leaves its queue where it is; another's are "{tag}:<name>:ready", "{tag}:<name>:item:<n>"
// and state fields "st@<name>", "ca@<name>", ...
type destQueue struct {
	name  string // as configured
	label string // in audit records: name, or "" when there is only one destination
	qp    string // queue prefix
	sfx   string // state-field suffix

	ready, leased, dead, age string
}

func newDestQueues(prefix string, names []string) ([]*destQueue, error) {
	names, err := queue.DestinationNames(names)
	if err != nil {
		return nil, fmt.Errorf("redisq: %w", err)
	}
	out := make([]*destQueue, len(names))
	for i, n := range names {
		d := &destQueue{name: n, qp: prefix}
		if len(names) > 1 {
			d.label = n
		}
		if i > 0 {
			d.qp, d.sfx = prefix+n+":", "@"+n
		}
		d.ready, d.leased, d.dead, d.age = d.qp+"ready", d.qp+"leased", d.qp+"dead", d.qp+"age"
		out[i] = d
	}
	return out, nil
}

// Destinations names the destinations every event is queued for, the first being the primary.
func (s *Store) Destinations() []string {
	out := make([]string, len(s.dests))
	for i, d := range s.dests {
		out[i] = d.name
	}
	return out
}

// Dest is the store as destination name's pusher sees it: Claim, Ack, Retry, DeadLetter, Stats,
// the dead-letter tools and the Limiter act on that destination's queue; Enqueue, Reject and the
// evidence are the whole store's.
func (s *Store) Dest(name string) (queue.Store, error) { return s.DestStore(name) }

// DestStore is Dest with the concrete type, for the destination's Limiter.
func (s *Store) DestStore(name string) (*Store, error) {
	for _, d := range s.dests {
		if d.name == name {
			v := *s
			v.d = d
			v.ready, v.leased, v.dead, v.age = d.ready, d.leased, d.dead, d.age
			return &v, nil
		}
	}
	return nil, fmt.Errorf("redisq: %w: %q (configured: %v)", queue.ErrNoDestination, name, s.Destinations())
}

// args are a destination script's ARGV: the destination (prelude.lua, dest()), then more.
func (s *Store) args(more ...any) []any {
	return append([]any{s.prefix, s.d.qp, s.d.sfx, s.d.label}, more...)
}

var _ queue.Recorder = (*Store)(nil)

// RecordDestinations stores the destination list under "{tag}:destinations".
// The service calls it when it starts, which is when entries of an older layout are upgraded
// (Upgrade), after the record: an upgrade cut short by ctx is resumed at the next start.
func (s *Store) RecordDestinations(ctx context.Context) error {
	err := s.rdb.Set(ctx, s.prefix+"destinations", strings.Join(s.Destinations(), ","), 0).Err()
	if err != nil {
		return wrap("record destinations", err)
	}
	_, err = s.Upgrade(ctx)
	return err
}

// RecordedDestinations reads the list RecordDestinations stored; nil if none.
func (s *Store) RecordedDestinations(ctx context.Context) ([]string, error) {
	v, err := s.rdb.Get(ctx, s.prefix+"destinations").Result()
	if err == redis.Nil {
		return nil, nil
	}
	if err != nil {
		return nil, wrap("recorded destinations", err)
	}
	return strings.Split(v, ","), nil
}
