package pgq

import (
	"context"
	"fmt"

	"github.com/dncsync/dncsync/internal/queue"
)

// errLeaseExpired is the LastError of an entry whose lease ran out (the same text as the other stores').
const errLeaseExpired = "lease expired: the pusher holding it stopped answering"

// recoverBatch bounds the expired leases one transaction recovers.
const recoverBatch = 1000

// sweepLimit bounds the expired event ids one Recover deletes per round, sweepRounds the rounds.
const (
	sweepLimit  = 5000
	sweepRounds = 20
)

// Recover returns entries whose lease expired to ready at their place in line (or to dead once
// their lost leases reach maxLost), and sweeps expired event ids.
func (s *Store) Recover(ctx context.Context, maxLost int) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("pgq: recover: %w", err)
	}
	if maxLost < 1 {
		return 0, fmt.Errorf("pgq: recover: maxLost %d, want at least 1", maxLost)
	}
	d := s.d.name
	total := 0
	for {
		now := ms(s.now())
		rows, err := s.pool.Query(ctx, `SELECT number FROM queue WHERE destination = $1 AND status = 'leased' AND at <= $2
			ORDER BY at LIMIT $3`, d, now, recoverBatch)
		if err != nil {
			return total, unavailable("recover", err)
		}
		var nums []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return total, unavailable("recover", err)
			}
			nums = append(nums, n)
		}
		if err := rows.Err(); err != nil {
			return total, unavailable("recover", err)
		}
		if len(nums) == 0 {
			break
		}
		n := 0
		err = s.write(ctx, func(u *uow) error {
			n = 0
			if err := u.load(ctx, nums, nil); err != nil {
				return err
			}
			for _, num := range nums {
				r := u.item(d, num)
				if r == nil || r.status != "leased" || r.at.After(u.now) {
					continue // answered or extended meanwhile
				}
				r.item.LostLeases++
				r.item.LastError = errLeaseExpired
				to, kind, at := "ready", queue.AuditFailed, r.item.FirstReceivedAt
				if r.item.LostLeases >= maxLost {
					to, kind, at = "dead", queue.AuditDead, u.now
				}
				u.failure(d, num, kind, r.item.Action, errLeaseExpired, true)
				u.move(r, to, at)
				n++
			}
			return nil
		})
		if err != nil {
			return total, unavailable("recover", err)
		}
		total += n
		if len(nums) < recoverBatch {
			break
		}
	}
	for range sweepRounds {
		tag, err := s.pool.Exec(ctx, `DELETE FROM event_ids WHERE ctid = ANY(ARRAY(
			SELECT ctid FROM event_ids WHERE expires_at <= $1 LIMIT $2))`, ms(s.now()), sweepLimit)
		if err != nil {
			return total, unavailable("recover: sweep event ids", err)
		}
		if tag.RowsAffected() < sweepLimit {
			break
		}
	}
	return total, nil
}
