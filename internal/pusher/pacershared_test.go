package pusher

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// Two replicas share a limiter: one has climbed to the top, the other begins a busy period. The
// second joins the shared pace (join) rather than asking its own slow start's 70% of the ceiling,
// and a 429 to its first request teaches the spacing the shared pace gave it (the first's
// interval), not a slow-start rate, which would hold both far under the limit for a minute (issue
// 16).
func TestThrottledLearnsTheSharedPace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		lim := queue.NewLocalLimiter(nil)
		a := NewPacerWith(PacerConfig{RPM: 1200, Limiter: lim})
		b := NewPacerWith(PacerConfig{RPM: 1200, Limiter: lim})
		for start := time.Now(); time.Since(start) <= rampUp; {
			if err := a.Wait(ctx); err != nil {
				t.Fatal(err)
			}
		}
		top := 1200 * (1 - DefaultHeadroom)
		if !near(a.grantRPM, top) {
			t.Fatalf("the first replica asks %v after its slow start, want the top %v", a.grantRPM, top)
		}
		if err := b.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		if b.grantRPM < 0.99*top {
			t.Fatalf("the second replica's first grant asked %v rpm, want the shared pace's %v, not its slow start's",
				b.grantRPM, top)
		}
		b.Throttled(ctx, time.Second)
		st, err := lim.State(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Limit < 0.99*top || st.Limit > 1.01*top {
			t.Fatalf("the 429 taught %v rpm, want the shared pace's %v, not the %v the refused replica asked",
				st.Limit, top, b.grantRPM)
		}
	})
}
