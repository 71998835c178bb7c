package pusher

import (
	"context"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// collect claims a batch: it returns as soon as BatchSize items are held, or when Linger has passed
// since the first one was claimed. While the pacer would hold the request anyway, it keeps topping
// the batch up, so that waiting for the rate limit fills batches instead of wasting requests.
// When nothing is due it sleeps until woken by an enqueue, the next due retry, or IdleCheck.
//
// It returns when the first item was claimed: the leases run from then.
func (p *Pusher) collect(ctx context.Context) ([]queue.Item, time.Time, error) {
	var batch []queue.Item
	var claimedAt, deadline time.Time
	for ctx.Err() == nil {
		if len(batch) == 0 {
			// Wait until the batch ahead (in flight beside this one) has its turn: then this one
			// fills while it waits for the next, instead of splitting the work with it.
			select {
			case <-p.pacer.Idle():
			case <-ctx.Done():
				return nil, claimedAt, nil
			}
			p.waitWindow(ctx) // outside the destination's window nothing is claimed
			// Claim nothing while a 429 pause holds every request: the numbers would only wait
			// leased, out of other replicas' reach.
			if d := p.pacer.Delay(); d > p.cfg.Linger {
				p.sleepFor(ctx, d-p.cfg.Linger)
				continue
			}
		}
		items, err := p.q.Claim(ctx, p.cfg.BatchSize-len(batch), p.cfg.Lease)
		if err != nil {
			if len(batch) > 0 || ctx.Err() != nil {
				return batch, claimedAt, nil // push what is held; the store's trouble shows next time
			}
			return nil, claimedAt, err
		}
		now := time.Now()
		if len(batch) == 0 && len(items) > 0 {
			claimedAt = now
		}
		batch = append(batch, items...)
		if len(batch) >= p.cfg.BatchSize {
			return batch, claimedAt, nil
		}
		if len(batch) == 0 {
			p.idle(ctx, now)
			continue
		}
		if deadline.IsZero() {
			// Topping up while the pacer holds the request, but never for long against the lease.
			deadline = now.Add(min(max(p.cfg.Linger, p.pacer.Delay()), p.cfg.Lease/4))
		}
		if !now.Before(deadline) {
			return batch, claimedAt, nil
		}
		p.sleep(ctx, deadline.Sub(now))
	}
	return batch, claimedAt, nil
}

// sleepFor waits d without waking on enqueues.
func (p *Pusher) sleepFor(ctx context.Context, d time.Duration) {
	_ = sleepUntil(ctx, time.Now().Add(d))
}

// idle waits for work: an enqueue in this process, the next due retry, or IdleCheck at most.
func (p *Pusher) idle(ctx context.Context, now time.Time) {
	wait := p.cfg.IdleCheck
	if due, ok, err := p.q.NextDue(ctx); err == nil && ok {
		wait = min(wait, max(due.Sub(now), time.Millisecond))
	}
	p.sleep(ctx, wait)
}

func (p *Pusher) sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-p.wake:
	case <-t.C:
	}
}
