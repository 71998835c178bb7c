package boltq

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
	bolt "go.etcd.io/bbolt"
)

// errLeaseExpired is the LastError of an entry whose lease ran out (the same text as redisq's).
const errLeaseExpired = "lease expired: the pusher holding it stopped answering"

// Recover returns entries whose lease expired to ready at now+backoff(attempts), counting an
// attempt (AuditFailed), and dead-letters those whose attempts reach maxAttempts (AuditDead).
//
// It also sweeps expired event ids: Recover runs periodically in the background, so the sweep
// adds no latency to a webhook. The first round shares the recovery's commit; further rounds, only
// while rounds come back full, are separate small transactions so that enqueues get the writer
// lock in between. If a later round fails, the recovery is already committed: n is still right.
func (s *Store) Recover(ctx context.Context, backoff func(attempts int) time.Duration, maxAttempts int) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("boltq: recover: %w", err)
	}
	if maxAttempts < 1 {
		// Rather than guess between "never dead" and "always dead", refuse the misconfiguration.
		return 0, fmt.Errorf("boltq: recover: maxAttempts %d, want at least 1", maxAttempts)
	}
	now := s.now()
	nowMs := ms(now)
	var n, swept int
	err := s.db.Update(func(tx *bolt.Tx) error {
		t := s.begin(tx)
		var err error
		n, err = t.expireLeases(nowMs, errLeaseExpired, maxAttempts, func(attempts int) int64 {
			var delay time.Duration
			if backoff != nil {
				delay = backoff(attempts)
			}
			return ms(now.Add(delay))
		})
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
			swept, err = buckets(tx).sweep(nowMs, sweepLimit)
			return err
		})
		if err != nil {
			return n, unavailable("recover: sweep event ids", err)
		}
	}
	return n, nil
}

// expireLeases ends every lease with a deadline at or before deadline: an attempt is counted, msg
// recorded (AuditFailed), and the entry goes back to ready at dueAt(attempts), or to dead
// (AuditDead) once attempts reach maxAttempts (0: never). It returns how many it ended.
func (t *txn) expireLeases(deadline int64, msg string, maxAttempts int, dueAt func(attempts int) int64) (int, error) {
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
		r.item.Attempts++
		r.item.LastError = msg
		to, kind, at := stateReady, queue.AuditFailed, dueAt(r.item.Attempts)
		if maxAttempts > 0 && r.item.Attempts >= maxAttempts {
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
