package pusher

import (
	"context"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// heartbeat extends the batch's leases every Lease/3 while its push runs, as asynq does, so that a
// short lease (a dead pusher's batch is pushed again soon) still covers a push that waits for the
// rate limit or a slow destination. When the leases can no longer be extended (the store is unreachable)
// it calls cut leaseMargin before they run out, so that the push stops before a recoverer may hand
// its items to another pusher. The returned func stops it and waits.
func (p *Pusher) heartbeat(ctx context.Context, batch []queue.Item, claimedAt time.Time, cut context.CancelFunc) (stop func()) {
	return start(ctx, func(ctx context.Context) {
		every := p.cfg.Lease / 3
		margin := leaseMargin(p.cfg.Lease)
		held := claimedAt.Add(p.cfg.Lease) // the earliest deadline of the batch's leases
		next := claimedAt.Add(every)
		t := time.NewTimer(time.Until(next))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			now := time.Now()
			if !now.Before(held.Add(-margin)) {
				p.log.Warn("lost the leases of the batch in flight: the store did not answer; cutting the push short",
					"items", len(batch))
				cut()
				return
			}
			ectx, cancel := context.WithDeadline(ctx, held.Add(-margin))
			n, err := p.q.Extend(ectx, batch, p.cfg.Lease)
			cancel()
			switch {
			case err != nil:
				p.log.Warn("extending the leases of the batch in flight failed; trying again", "err", err)
				next = time.Now().Add(every / 4)
				if last := held.Add(-margin); next.After(last) {
					next = last
				}
			default:
				held, next = now.Add(p.cfg.Lease), now.Add(every)
				if n < len(batch) {
					// Recovered meanwhile (this process stalled past a lease): their answers are ignored.
					p.log.Warn("some leases of the batch in flight were lost", "items", len(batch), "held", n)
				}
			}
			t.Reset(time.Until(next))
		}
	})
}

// leaseMargin is kept free at the end of a lease: a push still running then is cut short and its
// items snoozed, rather than racing a recoverer that may hand them to another pusher.
func leaseMargin(lease time.Duration) time.Duration { return min(5*time.Second, lease/4) }
