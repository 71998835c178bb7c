package pusher

import (
	"context"
	"sync"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// collect claims a batch, adapting to the load as Nagle's algorithm with a bound, or Kafka's
// linger.ms, do. It returns at once with a full batch; with a partial one it returns:
//   - at once when the pace has room and no batch of this pusher is in flight: at light load an
//     opt-out goes out the moment it is claimed;
//   - when the pacer's next grant comes, while the pace is the bottleneck: the batch tops up
//     meanwhile, and sending earlier would only wait for the same turn;
//   - when the batch in flight is settled, while one is in flight and more numbers keep coming, at
//     most Linger after the first claim: a second request for a trickle would spend the rate limit
//     on half-empty batches.
//
// Topping up never holds a batch longer than a quarter of its lease. When nothing is due it sleeps
// until woken by an enqueue, the next due retry, or IdleCheck. It returns when the first item was
// claimed: the leases run from then.
func (p *Pusher) collect(ctx context.Context) ([]queue.Item, time.Time, error) {
	var batch []queue.Item
	var claimedAt time.Time
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
		limit := claimedAt.Add(p.cfg.Lease / 4)
		var until time.Time
		var landed <-chan struct{}
		if d := p.pacer.Delay(); d > 0 {
			until = now.Add(d) // the pace is the bottleneck: top up until the turn comes
		} else if inFlight, done := p.flight.state(); inFlight > 0 && len(items) > 0 {
			until, landed = claimedAt.Add(p.cfg.Linger), done // growing behind a batch in flight
		}
		if until.After(limit) {
			until = limit
		}
		if !now.Before(until) {
			return batch, claimedAt, nil
		}
		if p.wait(ctx, until.Sub(now), landed) {
			return batch, claimedAt, nil
		}
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
	p.wait(ctx, wait, nil)
}

// wait sleeps up to d, until an enqueue wakes it, or until landed is closed; it reports the last.
func (p *Pusher) wait(ctx context.Context, d time.Duration, landed <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-p.wake:
	case <-t.C:
	case <-landed:
		return true
	}
	return false
}

// flight counts this pusher's batches in flight (collected and not yet settled).
type flight struct {
	mu   sync.Mutex
	n    int
	done chan struct{} // closed, and replaced, each time a batch in flight is settled
}

func (f *flight) start() {
	f.mu.Lock()
	f.n++
	f.mu.Unlock()
}

func (f *flight) end() {
	f.mu.Lock()
	f.n--
	if f.done != nil {
		close(f.done)
		f.done = nil
	}
	f.mu.Unlock()
}

// state is how many batches are in flight, and a channel closed when the next one is settled.
func (f *flight) state() (int, <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done == nil {
		f.done = make(chan struct{})
	}
	return f.n, f.done
}
