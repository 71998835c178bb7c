package redisq

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dncsync/dncsync/internal/queue"
)

// dumpChunk is how many entries one pipeline reads.
const dumpChunk = 500

// Entries calls fn with every destination's entries, ready, leased and dead: what `dncsync
// migrate-store` moves. Redis has no read transaction: run it on a store no service writes to.
func (s *Store) Entries(ctx context.Context, fn func(queue.Entry) error) error {
	for _, d := range s.dests {
		for _, set := range []struct {
			key    string
			status queue.EntryStatus
		}{{d.ready, queue.EntryReady}, {d.leased, queue.EntryLeased}, {d.dead, queue.EntryDead}} {
			for start := int64(0); ; start += dumpChunk {
				z, err := s.rdb.ZRangeWithScores(ctx, set.key, start, start+dumpChunk-1).Result()
				if err != nil {
					return wrap("entries", err)
				}
				hs := make([]*redis.MapStringStringCmd, len(z))
				_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
					for i, m := range z {
						hs[i] = p.HGetAll(ctx, d.qp+"item:"+m.Member.(string))
					}
					return nil
				})
				if err != nil {
					return wrap("entries", err)
				}
				for i, m := range z {
					it := itemOf(hs[i].Val())
					it.Number = m.Member.(string)
					if err := fn(queue.Entry{Dest: d.name, Item: it, Status: set.status,
						At: fromMS(int64(m.Score)).UTC()}); err != nil {
						return err
					}
				}
				if len(z) < dumpChunk {
					break
				}
			}
		}
	}
	return nil
}

// EventIDs calls fn with every event id remembered and not yet expired: those in the numbers'
// states (lua/ids.lua), and those still in keys of their own (the layout before, until Upgrade).
func (s *Store) EventIDs(ctx context.Context, fn func(queue.EventID) error) error {
	if err := s.stateEventIDs(ctx, fn); err != nil {
		return err
	}
	return s.oldEventIDs(ctx, fn)
}

// idFields are the fields of a number's state that hold its event ids (lua/ids.lua).
var idFields = func() []string {
	var f []string
	for j := 1; j <= eventIDFields; j++ {
		f = append(f, "i"+strconv.Itoa(j))
	}
	return f
}()

// stateEventIDs reads the ids kept in the numbers' states, "<expiry ms>:<id>" each.
func (s *Store) stateEventIDs(ctx context.Context, fn func(queue.EventID) error) error {
	prefix := s.prefix + "state:"
	var cursor uint64
	for {
		keys, next, err := s.node(ctx).Scan(ctx, cursor, prefix+"*", dumpChunk).Result()
		if err != nil {
			return wrap("event ids", err)
		}
		vals := make([]*redis.SliceCmd, len(keys))
		_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, k := range keys {
				vals[i] = p.HMGet(ctx, k, idFields...)
			}
			return nil
		})
		if err != nil {
			return wrap("event ids", err)
		}
		now := ms(s.now())
		for i, k := range keys {
			for _, v := range vals[i].Val() {
				f, _ := v.(string)
				exp, id, ok := strings.Cut(f, ":")
				at, err := strconv.ParseInt(exp, 10, 64)
				if !ok || err != nil || at <= now {
					continue // none, or expired
				}
				if err := fn(queue.EventID{ID: id, Number: k[len(prefix):], Expires: time.UnixMilli(at).UTC()}); err != nil {
					return err
				}
			}
		}
		if cursor = next; cursor == 0 {
			return nil
		}
	}
}

// oldEventIDs reads the ids still in keys of their own ({tag}:seen:<id>\0<number>, expiring with
// the key), which Upgrade moves.
func (s *Store) oldEventIDs(ctx context.Context, fn func(queue.EventID) error) error {
	node := s.node(ctx)
	pat := s.prefix + "seen:*"
	var cursor uint64
	for {
		keys, next, err := node.Scan(ctx, cursor, pat, dumpChunk).Result()
		if err != nil {
			return wrap("event ids", err)
		}
		ttls := make([]*redis.DurationCmd, len(keys))
		_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, k := range keys {
				ttls[i] = p.PTTL(ctx, k)
			}
			return nil
		})
		if err != nil {
			return wrap("event ids", err)
		}
		now := s.now()
		for i, k := range keys {
			id, number, ok := s.oldIDKey(k)
			ttl := ttls[i].Val()
			if !ok || ttl <= 0 {
				continue // gone since the scan, or not one of ours
			}
			exp := time.UnixMilli(now.Add(ttl).UnixMilli()).UTC()
			if err := fn(queue.EventID{ID: id, Number: number, Expires: exp}); err != nil {
				return err
			}
		}
		if cursor = next; cursor == 0 {
			return nil
		}
	}
}
