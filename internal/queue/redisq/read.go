package redisq

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dncsync/dncsync/internal/queue"
)

// NextDue is the due time of the earliest ready entry.
func (s *Store) NextDue(ctx context.Context) (time.Time, bool, error) {
	z, err := s.rdb.ZRangeWithScores(ctx, s.ready, 0, 0).Result()
	if err != nil {
		return time.Time{}, false, wrap("next due", err)
	}
	if len(z) == 0 {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(int64(z[0].Score)), true, nil
}

// Stats reads the set sizes and the oldest first receipt in one pipeline.
func (s *Store) Stats(ctx context.Context) (queue.Stats, error) {
	var ready, leased, dead *redis.IntCmd
	var oldest *redis.ZSliceCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		ready = p.ZCard(ctx, s.ready)
		leased = p.ZCard(ctx, s.leased)
		dead = p.ZCard(ctx, s.dead)
		oldest = p.ZRangeWithScores(ctx, s.age, 0, 0)
		return nil
	})
	if err != nil {
		return queue.Stats{}, wrap("stats", err)
	}
	st := queue.Stats{Ready: ready.Val(), Leased: leased.Val(), Dead: dead.Val()}
	if z := oldest.Val(); len(z) > 0 {
		st.OldestReceived = time.UnixMilli(int64(z[0].Score))
	}
	return st, nil
}
