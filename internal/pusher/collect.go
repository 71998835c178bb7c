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
func (p *Pusher) collect(ctx context.Context) ([]queue.Item, error) {
	var batch []queue.Item
	var deadline time.Time
	for ctx.Err() == nil {
		items, err := p.q.Claim(ctx, p.cfg.BatchSize-len(batch), p.cfg.Lease)
		if err != nil {
			if len(batch) > 0 || ctx.Err() != nil {
				return batch, nil // push what is held; the store's trouble shows on the next claim
			}
			return nil, err
		}
		batch = append(batch, items...)
		if len(batch) >= p.cfg.BatchSize {
			return batch, nil
		}
		now := time.Now()
		if len(batch) == 0 {
			p.idle(ctx, now)
			continue
		}
		if deadline.IsZero() {
			deadline = now.Add(max(p.cfg.Linger, p.pacer.Delay()))
		}
		if !now.Before(deadline) {
			return batch, nil
		}
		p.sleep(ctx, deadline.Sub(now))
	}
	return batch, nil
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
