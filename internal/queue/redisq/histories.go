package redisq

import (
	"context"
	"slices"

	"github.com/redis/go-redis/v9"

	"github.com/dncsync/dncsync/internal/queue"
)

// Histories returns the state and whole trail (oldest first) of each of numbers the store knows,
// in two pipelined round trips whatever their count: the states, queue entries and trail ids of
// all, then every record by id. It answers as Lookup does, page after page, with every record at
// once. All keys share the store's hash tag, so in a cluster each pipeline goes to one node.
func (s *Store) Histories(ctx context.Context, numbers []string) (map[string]queue.History, error) {
	nums := slices.Compact(slices.Sorted(slices.Values(numbers)))
	states := make([]stateRead, len(nums))
	ids := make([]*redis.StringSliceCmd, len(nums))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, n := range nums {
			states[i] = s.readState(ctx, p, n)
			ids[i] = p.LRange(ctx, s.prefix+"hist:"+n, 0, -1)
		}
		return nil
	})
	if err != nil && err != redis.Nil {
		return nil, wrap("histories", err)
	}
	type known struct {
		i    int
		recs []*redis.XMessageSliceCmd
	}
	var found []known
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range nums {
			if !states[i].found() {
				continue
			}
			k := known{i: i}
			for _, id := range ids[i].Val() {
				k.recs = append(k.recs, p.XRange(ctx, s.prefix+"audit", id, id))
			}
			found = append(found, k)
		}
		return nil
	})
	if err != nil {
		return nil, wrap("histories trail", err)
	}
	now := s.now()
	out := make(map[string]queue.History, len(found))
	for _, k := range found {
		n := nums[k.i]
		h := queue.History{State: s.decodeState(n, states[k.i]).At(now), Records: make([]queue.AuditRecord, 0, len(k.recs))}
		for _, c := range k.recs {
			// An id whose entry was trimmed from the stream reads nothing, and is skipped as in Lookup.
			for _, m := range c.Val() {
				r, err := streamRecord(m)
				if err != nil {
					return nil, err
				}
				if r.Number == "" {
					r.Number = n
				}
				h.Records = append(h.Records, r)
			}
		}
		out[n] = h
	}
	return out, nil
}
