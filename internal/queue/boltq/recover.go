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
		n = 0
		t := s.begin(tx)
		for _, k := range due(t.leased, nowMs, math.MaxInt) {
			_, number := splitTimeKey(k)
			r, err := t.get(number)
			if err != nil {
				return err
			}
			if stale(r, stateLeased, k) {
				if err := t.leased.Delete(k); err != nil {
					return err
				}
				continue
			}
			r.item.Attempts++
			r.item.LastError = errLeaseExpired
			if r.item.Attempts >= maxAttempts {
				if err := t.failure(r.item.Number, queue.AuditDead, r.item.Action, errLeaseExpired, true); err != nil {
					return err
				}
				err = t.move(r, stateDead, nowMs)
			} else {
				if err := t.failure(r.item.Number, queue.AuditFailed, r.item.Action, errLeaseExpired, true); err != nil {
					return err
				}
				var delay time.Duration
				if backoff != nil {
					delay = backoff(r.item.Attempts)
				}
				err = t.move(r, stateReady, ms(now.Add(delay)))
			}
			if err != nil {
				return err
			}
			n++
		}
		var err error
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
