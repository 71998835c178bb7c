package boltq

import (
	"context"
	"fmt"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
	bolt "go.etcd.io/bbolt"
)

// Extend moves the deadline of the leases still held under their tokens to now+lease, in one
// transaction. Entries recovered meanwhile (and perhaps claimed by another pusher) are left alone.
func (s *Store) Extend(ctx context.Context, items []queue.Item, lease time.Duration) (int, error) {
	if err := s.writable("extend"); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("boltq: extend: %w", err)
	}
	if len(items) == 0 {
		return 0, nil
	}
	deadline := ms(s.now().Add(lease))
	var n int
	err := s.db.Update(func(tx *bolt.Tx) error {
		n = 0
		t := s.buckets(tx)
		for _, it := range items {
			r, err := t.holder(it)
			if err != nil {
				return err
			}
			if r == nil {
				continue
			}
			if err := t.move(r, stateLeased, deadline); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, unavailable("extend", err)
	}
	return n, nil
}
