package pusher

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// Two replicas share a limiter: one has climbed to the top, the other starts its own slow start.
// A 429 to the second's first request teaches the spacing the shared pace gave it (the first's
// interval), not the second's own slow-start rate, which would hold both far under the limit for
// a minute (issue 16).
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
		if b.grantRPM > 0.75*1200 {
			t.Fatalf("the second replica's first grant asked %v rpm, want its slow start's 70%% of the ceiling", b.grantRPM)
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
