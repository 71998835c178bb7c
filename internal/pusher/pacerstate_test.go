package pusher

import (
	"context"
	"testing"
	"time"
)

func TestPacerState(t *testing.T) {
	p := NewPacer(120)
	if got := p.CurrentRPM(); !near(got, 120*(1-DefaultHeadroom)) {
		t.Fatalf("CurrentRPM = %v, want the ceiling less the headroom", got)
	}
	if u := p.PausedUntil(); u.After(time.Now()) {
		t.Fatalf("a new pacer is paused until %v", u)
	}
	before := time.Now()
	p.Throttled(context.Background(), 30*time.Second)
	if u := p.PausedUntil(); u.Before(before.Add(30*time.Second)) || u.After(time.Now().Add(30*time.Second)) {
		t.Fatalf("after a 429 with Retry-After 30s, PausedUntil = %v (now %v)", u, time.Now())
	}
	if got := p.CurrentRPM(); got >= 120*(1-DefaultHeadroom) {
		t.Fatalf("CurrentRPM = %v after a 429, want it lowered", got)
	}
}
