package boltq

import (
	"context"
	"encoding/binary"
	"fmt"
	"sort"

	bolt "go.etcd.io/bbolt"

	"github.com/dncsync/dncsync/internal/queue"
)

// redriveDetail is the Detail of an AuditRequeued record (the same text as redisq's).
const redriveDetail = "dead letter re-queued by an operator"

// Redrive returns up to max dead entries to ready, due now, with fresh attempts.
func (s *Store) Redrive(ctx context.Context, max int) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("boltq: redrive: %w", err)
	}
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		n = 0
		t := s.begin(tx)
		// Oldest dead first, as redisq does (its dead set is scored by dead-at).
		type dead struct {
			number string
			at     uint64
		}
		var all []dead
		c := t.dead.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			all = append(all, dead{string(k), binary.BigEndian.Uint64(v)})
		}
		sort.Slice(all, func(i, j int) bool {
			if all[i].at != all[j].at {
				return all[i].at < all[j].at
			}
			return all[i].number < all[j].number
		})
		var numbers []string
		for _, d := range all[:min(max, len(all))] {
			numbers = append(numbers, d.number)
		}
		for _, number := range numbers {
			r, err := t.get(number)
			if err != nil {
				return err
			}
			if r == nil || r.state != stateDead {
				continue
			}
			r.item.Attempts, r.item.LastError = 0, ""
			if err := t.move(r, stateReady, ms(s.now())); err != nil {
				return err
			}
			key := trailKey(number)
			st, err := t.state(number, key)
			if err != nil {
				return err
			}
			st.LastError = ""
			if err := t.record(key, st, queue.AuditRecord{Kind: queue.AuditRequeued, Number: number,
				Action: r.item.Action, Detail: redriveDetail}); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, unavailable("redrive", err)
	}
	return n, nil
}
