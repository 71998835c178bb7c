package pusher

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// climbTo takes grants of p until it asks at least rpm (its slow start), on synctest's clock.
func climbTo(t *testing.T, p *Pacer, rpm float64) {
	t.Helper()
	for p.grantRPM < rpm {
		if err := p.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		if p.grantRPM >= p.pace.top() && rpm > p.pace.top() {
			t.Fatalf("climbed to the top %v, never to %v", p.grantRPM, rpm)
		}
	}
}

// A 429 met on the slow start is honoured (its Retry-After pauses every grant), and then the pace
// resumes at once just under the plateau under the rate learned, and reaches it within resume;
// not from beta of it (issue 16).
func TestResumesAtThePlateauAfterThePause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		lim := queue.NewLocalLimiter(nil)
		p := NewPacerWith(PacerConfig{RPM: 1200, Limiter: lim})
		climbTo(t, p, 905)
		if pause := p.Throttled(ctx, time.Second); pause != time.Second {
			t.Fatalf("paused %v, want the Retry-After's second", pause)
		}
		st, err := lim.State(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Limit < 880 || st.Limit > 905 {
			t.Fatalf("learned %v, want just under the refused 905 (the grant before's rate)", st.Limit)
		}
		before := time.Now()
		if err := p.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		if waited := time.Since(before); waited < time.Second-queue.GrantAhead {
			t.Fatalf("granted %v after the 429, want the pause of a second honoured", waited)
		}
		plateau := st.Limit * (1 - DefaultHeadroom)
		if want := plateau * (1 - DefaultHeadroom); !near(p.grantRPM, want) {
			t.Fatalf("the first grant after the pause asked %v, want the headroom under the plateau %v", p.grantRPM, want)
		}
		for resumed := time.Now(); time.Since(resumed) < resume; {
			if err := p.Wait(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if !near(p.grantRPM, plateau) {
			t.Fatalf("%v after the pause the pace asked %v, want the plateau %v", resume, p.grantRPM, plateau)
		}
	})
}

// A second 429 soon after the pace resumed at its plateau says the plateau was wrong (the limit
// may have fallen): that episode restarts at beta of the rate learned and climbs back.
func TestA429AgainClimbsBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		lim := queue.NewLocalLimiter(nil)
		p := NewPacerWith(PacerConfig{RPM: 1200, Limiter: lim})
		climbTo(t, p, 905)
		p.Throttled(ctx, time.Second)
		for range 3 {
			if err := p.Wait(ctx); err != nil {
				t.Fatal(err)
			}
		}
		plateau := p.grantRPM
		if plateau < 850 {
			t.Fatalf("resumed at %v, want the plateau near 870", plateau)
		}
		p.Throttled(ctx, time.Second)
		st, err := lim.State(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		if want := st.Limit * beta; !near(p.grantRPM, want) {
			t.Fatalf("after a second 429 the first grant asked %v, want beta of the %v learned, %v", p.grantRPM,
				st.Limit, want)
		}
	})
}

// One 429 to a grant whose spacing stalled (100 ms at a pace of 870) does not teach 600: the
// limit learned stays within guardShare of the rate granted. A second within settle does.
func TestOne429DoesNotTeachALimitFarUnderThePace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		lim := queue.NewLocalLimiter(nil)
		p := NewPacerWith(PacerConfig{RPM: 1200, Limiter: lim})
		refuse := func(rpm float64) queue.PaceState {
			t.Helper()
			p.mu.Lock()
			now := time.Now()
			p.grantedAt, p.prevAt, p.spaced, p.grantRPM = now, now.Add(-100*time.Millisecond), 0, rpm
			p.mu.Unlock()
			p.Throttled(ctx, time.Second)
			st, err := lim.State(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
		if raw := queue.ThrottleLimit(queue.Throttle{GrantedAt: time.Now(), Prev: time.Now().Add(-100 * time.Millisecond),
			RPM: 870}); !near(raw, 600) {
			t.Fatalf("the spacing alone teaches %v, want 600: the test proves nothing", raw)
		}
		if st := refuse(870); !near(st.Limit, guardShare*870) {
			t.Fatalf("one 429 at 870 with a stalled spacing taught %v, want %v", st.Limit, guardShare*870)
		}
		time.Sleep(1100 * time.Millisecond) // synctest's clock: past the pause
		if st := refuse(800); !near(st.Limit, 600) {
			t.Fatalf("a second 429 soon after taught %v, want the spacing's 600", st.Limit)
		}
		time.Sleep(settle + 2*time.Second) // synctest's clock: the guard is back
		if st := refuse(570); !near(st.Limit, guardShare*570) && st.Limit < guardShare*570 {
			t.Fatalf("a 429 long after taught %v, want at least %v", st.Limit, guardShare*570)
		}
	})
}

// A replica that joins while another is far on its slow start climbs from the other's pace, not
// from its own beginning: spacings from both stay even, and a 429 teaches the limit closely.
func TestJoiningReplicaKeepsUpWithTheClimb(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		lim := queue.NewLocalLimiter(nil)
		a := NewPacerWith(PacerConfig{RPM: 1200, Limiter: lim})
		b := NewPacerWith(PacerConfig{RPM: 1200, Limiter: lim})
		climbTo(t, a, 1000)
		if r := b.rateToAsk(); !near(r, 1200*beta) {
			t.Fatalf("the joining replica would first ask %v, want its slow start's %v", r, 1200*beta)
		}
		if err := b.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		if r := b.rateToAsk(); r < 0.99*a.grantRPM {
			t.Fatalf("after its first grant the joining replica asks %v, want at least the other's %v", r, a.grantRPM)
		}
	})
}

// The shortest spacing the server took lately bounds a 429's limit from below: answered grants
// only, since the episode began, within takenWindow, no idle gaps.
func TestTakenShortest(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	var k taken
	grant := func(at, gap time.Duration) {
		k.add(t0.Add(at), queue.PaceState{Granted: t0.Add(at), Prev: t0.Add(at - gap)})
	}
	grant(0, 70*time.Millisecond)
	grant(100*time.Millisecond, 66*time.Millisecond)
	grant(200*time.Millisecond, 200*time.Millisecond) // an idle gap
	grant(300*time.Millisecond, 60*time.Millisecond)  // not answered yet
	refused := t0.Add(400 * time.Millisecond)
	if d := k.shortest(refused, time.Time{}, 140*time.Millisecond); d != 0 {
		t.Fatalf("nothing answered: %v, want 0", d)
	}
	k.answered(t0.Add(250 * time.Millisecond)) // the grant at 200 ms
	k.answered(t0.Add(10 * time.Millisecond))
	k.answered(t0.Add(110 * time.Millisecond))
	if d := k.shortest(refused, time.Time{}, 140*time.Millisecond); d != 66*time.Millisecond {
		t.Fatalf("shortest %v, want the answered 66ms (not the idle 200ms, nor the unanswered 60ms)", d)
	}
	if d := k.shortest(refused, t0.Add(50*time.Millisecond), 140*time.Millisecond); d != 66*time.Millisecond {
		t.Fatalf("since 50ms: %v, want 66ms", d)
	}
	if d := k.shortest(refused, t0.Add(150*time.Millisecond), 140*time.Millisecond); d != 0 {
		t.Fatalf("since 150ms: %v, want none", d)
	}
	if d := k.shortest(t0.Add(takenWindow+150*time.Millisecond), time.Time{}, 140*time.Millisecond); d != 0 {
		t.Fatalf("long after: %v, want none", d)
	}
}
