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
	if err := s.writable("redrive"); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("boltq: redrive: %w", err)
	}
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		n = 0
		t := s.begin(tx)
		var numbers []string
		for _, d := range t.oldestDead(max) {
			numbers = append(numbers, d.number)
		}
		for _, number := range numbers {
			ok, err := t.requeue(number, ms(s.now()))
			if err != nil {
				return err
			}
			if ok {
				n++
			}
		}
		return nil
	})
	if err != nil {
		return 0, unavailable("redrive", err)
	}
	return n, nil
}

// requeue returns number to ready at now with fresh attempts and an AuditRequeued record, if it is
// dead; it reports whether it was.
func (t *txn) requeue(number string, now int64) (bool, error) {
	r, err := t.get(number)
	if err != nil || r == nil || r.state != stateDead {
		return false, err
	}
	r.item.Attempts, r.item.LastError = 0, ""
	if err := t.move(r, stateReady, now); err != nil {
		return false, err
	}
	return true, t.destRecord(number, queue.AuditRecord{Kind: queue.AuditRequeued, Number: number,
		Action: r.item.Action, Detail: redriveDetail}, func(st *queue.NumberState) { st.LastError = "" })
}

// deadEntry is a number in the dead index with the time it died.
type deadEntry struct {
	number string
	at     int64
}

// oldestDead lists up to limit dead entries, oldest dead first, as redisq's dead set (scored by
// dead-at) orders them. The dead index is keyed by number, so this reads all of it.
func (t *txn) oldestDead(limit int) []deadEntry {
	var all []deadEntry
	c := t.dead.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		all = append(all, deadEntry{string(k), int64(binary.BigEndian.Uint64(v))})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].at != all[j].at {
			return all[i].at < all[j].at
		}
		return all[i].number < all[j].number
	})
	return all[:min(max(limit, 0), len(all))]
}
