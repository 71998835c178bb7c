package boltq

import (
	"context"
	"fmt"
	"math"

	"github.com/dncsync/dncsync/internal/queue"
	bolt "go.etcd.io/bbolt"
)

// errLeaseExpired is the LastError of an entry whose lease ran out (the same text as redisq's).
const errLeaseExpired = "lease expired: the pusher holding it stopped answering"

// Recover returns entries whose lease expired to ready at their first receipt (their place in line),
// due at once and without spending an attempt: the pusher that held them stopped, which is not the
// number's failure. Each counts a lost lease (AuditFailed); those whose lost leases reach maxLost
// are dead-lettered (AuditDead), so that a number that kills its pusher every time ends dead.
//
// It also sweeps expired event ids: Recover runs periodically in the background, so the sweep
// adds no latency to a webhook. The first round shares the recovery's commit; further rounds, only
// while rounds come back full, are separate small transactions so that enqueues get the writer
// lock in between. If a later round fails, the recovery is already committed: n is still right.
func (s *Store) Recover(ctx context.Context, maxLost int) (int, error) {
	if err := s.writable("recover"); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("boltq: recover: %w", err)
	}
	if maxLost < 1 {
		// Rather than guess between "never dead" and "always dead", refuse the misconfiguration.
		return 0, fmt.Errorf("boltq: recover: maxLost %d, want at least 1", maxLost)
	}
	now := s.now()
	nowMs := ms(now)
	var n, swept int
	err := s.db.Update(func(tx *bolt.Tx) error {
		t := s.begin(tx)
		var err error
		n, err = t.expireLeases(nowMs, errLeaseExpired, maxLost)
		if err != nil {
			return err
		}
		swept, err = t.sweep(nowMs, sweepLimit)
		return err
	})
	if err != nil {
		return 0, unavailable("recover", err)
	}
	for round := 1; swept == sweepLimit && round < sweepRounds && ctx.Err() == nil; round++ {
		err := s.db.Update(func(tx *bolt.Tx) error {
			var err error
			swept, err = s.buckets(tx).sweep(nowMs, sweepLimit)
			return err
		})
		if err != nil {
			return n, unavailable("recover: sweep event ids", err)
		}
	}
	return n, nil
}

// expireLeases ends every lease with a deadline at or before deadline: a lost lease is counted, msg
// recorded (AuditFailed), and the entry goes back to ready due at its first receipt, or to dead
// (AuditDead) once its lost leases reach maxLost (0: never). It returns how many it ended.
func (t *txn) expireLeases(deadline int64, msg string, maxLost int) (int, error) {
	n := 0
	for _, k := range due(t.leased, deadline, math.MaxInt) {
		_, number := splitTimeKey(k)
		r, err := t.get(number)
		if err != nil {
			return n, err
		}
		if stale(r, stateLeased, k) {
			if err := t.leased.Delete(k); err != nil {
				return n, err
			}
			continue
		}
		r.item.LostLeases++
		r.item.LastError = msg
		to, kind, at := stateReady, queue.AuditFailed, ms(r.item.FirstReceivedAt)
		if maxLost > 0 && r.item.LostLeases >= maxLost {
			to, kind, at = stateDead, queue.AuditDead, ms(t.now())
		}
		if err := t.failure(r.item.Number, kind, r.item.Action, msg, true); err != nil {
			return n, err
		}
		if err := t.move(r, to, at); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
