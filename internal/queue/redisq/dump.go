package redisq

import (
	"context"
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

// EventIDs calls fn with every event id remembered ({tag}:seen:<id>\0<number>, expiring with its
// key).
func (s *Store) EventIDs(ctx context.Context, fn func(queue.EventID) error) error {
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
			rest := strings.TrimPrefix(k, s.prefix+"seen:")
			cut := strings.LastIndexByte(rest, 0)
			ttl := ttls[i].Val()
			if cut < 0 || ttl <= 0 {
				continue // gone since the scan, or not one of ours
			}
			exp := time.UnixMilli(now.Add(ttl).UnixMilli()).UTC()
			if err := fn(queue.EventID{ID: rest[:cut], Number: rest[cut+1:], Expires: exp}); err != nil {
				return err
			}
		}
		if cursor = next; cursor == 0 {
			return nil
		}
	}
}
