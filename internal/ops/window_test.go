package ops

import (
	"context"
	"testing"
	"time"
)

type waitingPace struct{ msg string }

func (waitingPace) CurrentRPM() float64    { return 60 }
func (waitingPace) PausedUntil() time.Time { return time.Time{} }
func (p waitingPace) Waiting(now time.Time) (string, time.Time) {
	if p.msg == "" {
		return "", time.Time{}
	}
	return p.msg, now.Add(time.Hour)
}

// A destination waiting for its window says so, with when it opens, in its own status and not
// in the summary's pace; an open window or an empty queue says nothing.
func TestStatusSaysTheQueueWaitsForTheWindow(t *testing.T) {
	o, _ := deadStore(t, 1) // cxone holds one number, genesys one dead letter
	ctx := context.Background()
	now := time.Now()
	msg := "waiting for Five9's window (opens 23:00 PT)"
	o.Lanes[0].Pacing, o.Lanes[1].Pacing = waitingPace{msg}, waitingPace{msg}
	st, err := o.Status(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	cx, g := st.Destinations["cxone"], st.Destinations["genesys"]
	if cx.Depth != 1 || cx.Waiting != msg || cx.WindowOpensAt == nil || cx.WindowOpensAt.Before(now) {
		t.Fatalf("cxone (one number waiting): %+v", cx)
	}
	if g.Depth != 0 || g.Waiting != "" || g.WindowOpensAt != nil {
		t.Fatalf("genesys (nothing to wait with): %+v", g)
	}
	o.Lanes[0].Pacing = waitingPace{}
	if st, err := o.Status(ctx, "cxone"); err != nil || st.Waiting != "" {
		t.Fatalf("open window: %+v %v", st, err)
	}
}
