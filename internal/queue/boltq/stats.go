package boltq

import (
	"context"
	"fmt"

	"github.com/dncsync/dncsync/internal/queue"
	bolt "go.etcd.io/bbolt"
)

// Stats counts the index buckets, which hold one key per entry. Counting walks their pages
// (a few ms for a million entries), which is cheap at metrics intervals and cannot drift the way
// stored counters could.
func (s *Store) Stats(ctx context.Context) (queue.Stats, error) {
	if err := ctx.Err(); err != nil {
		return queue.Stats{}, fmt.Errorf("boltq: stats: %w", err)
	}
	var st queue.Stats
	err := s.db.View(func(tx *bolt.Tx) error {
		st = queue.Stats{}
		t := s.buckets(tx)
		st.Ready = int64(t.ready.Stats().KeyN)
		st.Leased = int64(t.leased.Stats().KeyN)
		st.Dead = int64(t.dead.Stats().KeyN)
		// The first-receipt index starts with the oldest live entry; its record has the exact
		// time (index keys clamp times before 1970).
		if k, _ := t.first.Cursor().First(); k != nil {
			_, number := splitTimeKey(k)
			r, err := t.get(number)
			if err != nil {
				return err
			}
			if r != nil {
				st.OldestReceived = r.item.FirstReceivedAt
			}
		}
		return nil
	})
	if err != nil {
		return queue.Stats{}, unavailable("stats", err)
	}
	return st, nil
}
