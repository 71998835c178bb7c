package pusher

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// ctxLimiter is a LocalLimiter that records the deadline each report to it carried, and refuses
// a report whose context is done, as a store's client does.
type ctxLimiter struct {
	*queue.LocalLimiter
	throttle, clear time.Time
}

func (l *ctxLimiter) Throttle(ctx context.Context, t queue.Throttle) (queue.PaceState, error) {
	l.throttle, _ = ctx.Deadline()
	if err := ctx.Err(); err != nil {
		return queue.PaceState{}, err
	}
	return l.LocalLimiter.Throttle(ctx, t)
}

func (l *ctxLimiter) Clear(ctx context.Context) error {
	l.clear, _ = ctx.Deadline()
	if err := ctx.Err(); err != nil {
		return err
	}
	return l.LocalLimiter.Clear(ctx)
}

// Throttled and OK carry the caller's deadline to the shared limiter (never a later one), and a
// report cut short by cancellation still pauses this process, which Wait's context can end.
func TestPacerReportsCarryTheCallersContext(t *testing.T) {
	lim := &ctxLimiter{LocalLimiter: queue.NewLocalLimiter(nil)}
	p := NewPacerWith(PacerConfig{RPM: 600, Limiter: lim})
	deadline := time.Now().Add(500 * time.Millisecond)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	if err := p.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if d := p.Throttled(ctx, 0); d <= 0 {
		t.Fatalf("a 429 without Retry-After paused %v, want the back-off", d)
	}
	if !lim.throttle.Equal(deadline) {
		t.Fatalf("the limiter's 429 report had deadline %v, want the caller's %v", lim.throttle, deadline)
	}
	p.OK(ctx) // a streak to clear: one 429 without Retry-After
	if !lim.clear.Equal(deadline) {
		t.Fatalf("the limiter's clear had deadline %v, want the caller's %v", lim.clear, deadline)
	}

	// Cancelled before the report reaches the limiter: the pause is this process's alone.
	done, stop := context.WithCancel(context.Background())
	stop()
	if d := p.Throttled(done, time.Hour); d != time.Hour {
		t.Fatalf("a 429 reported with a cancelled context paused %v, want its Retry-After", d)
	}
	if u := p.PausedUntil(); time.Until(u) < 59*time.Minute {
		t.Fatalf("after a cut-short report PausedUntil is %v, want an hour from now", u)
	}
	// Wait holds for that hour's pause only as long as its own context lasts.
	wctx, wcancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer wcancel()
	if err := p.Wait(wctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait during the pause returned %v, want its context's deadline", err)
	}
}
