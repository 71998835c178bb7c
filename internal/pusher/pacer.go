package pusher

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/dncsync/dncsync/internal/cxone"
)

// Pacer spaces CXone requests evenly at the organization's rate limit (a burst of one, so the drain
// runs at the limit and never into it) and holds every request while a 429's pause lasts.
type Pacer struct {
	lim *rate.Limiter
	now func() time.Time

	mu     sync.Mutex
	until  time.Time // no request before this (429 pause)
	streak int       // 429s in a row without a usable Retry-After
}

var _ cxone.Pacer = (*Pacer)(nil)

// NewPacer paces to rpm requests a minute.
func NewPacer(rpm int) *Pacer {
	return &Pacer{lim: rate.NewLimiter(rate.Limit(float64(rpm)/60), 1), now: time.Now}
}

// Wait blocks until a request may go.
func (p *Pacer) Wait(ctx context.Context) error {
	for {
		if err := sleepUntil(ctx, p.pausedUntil()); err != nil {
			return err
		}
		if err := p.lim.Wait(ctx); err != nil {
			return err
		}
		// A 429 may have arrived while this caller waited for its slot.
		if !p.now().Before(p.pausedUntil()) {
			return nil
		}
	}
}

func (p *Pacer) pausedUntil() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.until
}

// Throttled pauses all requests for retryAfter or, without one, for a jittered exponential back-off
// (1 s doubling to 60 s) that grows with each 429 in a row.
func (p *Pacer) Throttled(retryAfter time.Duration) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	d := retryAfter
	if d <= 0 {
		p.streak++
		d = jitter(min(time.Minute, time.Second<<min(p.streak-1, 6)))
	}
	if until := p.now().Add(d); until.After(p.until) {
		p.until = until
	}
	return d
}

// OK ends the back-off streak.
func (p *Pacer) OK() {
	p.mu.Lock()
	p.streak = 0
	p.mu.Unlock()
}

// Delay is how long a request would wait now, without taking a slot.
func (p *Pacer) Delay() time.Duration {
	now := p.now()
	r := p.lim.ReserveN(now, 1)
	d := r.DelayFrom(now)
	r.CancelAt(now)
	return max(d, p.pausedUntil().Sub(now))
}

// jitter spreads d over [d/2, d] so that replicas and items do not retry in step.
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

// Backoff is the default delay before retry number attempt (1-based) of an item: 10 s doubling,
// capped at an hour, jittered. Twelve attempts span about three and a half hours of failures.
var Backoff = ExpBackoff(10*time.Second, time.Hour)

// ExpBackoff returns a back-off that starts at base and doubles up to limit, jittered.
func ExpBackoff(base, limit time.Duration) func(attempt int) time.Duration {
	return func(attempt int) time.Duration {
		if attempt < 1 {
			attempt = 1
		}
		return jitter(min(limit, base<<min(attempt-1, 30)))
	}
}

func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
