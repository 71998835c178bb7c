package pusher

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6*max(1, math.Abs(b)) }

func TestPaceUnderTheCeiling(t *testing.T) {
	c := pace{ceiling: 1200, headroom: 0.03}
	if r := c.rate(queue.PaceState{}, false); !near(r, 1164) {
		t.Fatalf("never throttled: %v, want 3%% under the ceiling", r)
	}
	// Long after a 429 at a rate above the ceiling, probing stops at the ceiling's pace.
	t0 := time.Unix(1_700_000_000, 0)
	st := queue.PaceState{Limit: 5000, Since: t0, Until: t0.Add(time.Second), Now: t0.Add(time.Hour)}
	if r := c.rate(st, false); !near(r, 1164) {
		t.Fatalf("an hour after a 429 above the ceiling: %v", r)
	}
}

// After a 429 at rate W under the top the pace resumes as the pause ends at the headroom under the
// plateau just under W, reaches the plateau within resume, holds it, and then probes above it ever faster, up to the ceiling. A 429 that came again
// soon after the previous episode restarts at beta*W instead and climbs to the plateau within
// restore.
func TestPaceAfterA429(t *testing.T) {
	c := pace{ceiling: 1200, headroom: 0.03}
	t0 := time.Unix(1_700_000_000, 0)
	end := t0.Add(time.Second) // the pause ends
	st := func(at time.Duration) queue.PaceState {
		return queue.PaceState{Limit: 1000, Since: t0, Until: end, Now: end.Add(at)}
	}
	plateau := 970.0
	for _, at := range []time.Duration{-500 * time.Millisecond, 0} {
		if r := c.rate(st(at), false); !near(r, plateau*0.97) {
			t.Fatalf("at %v from the pause's end: %v, want the headroom under the plateau %v", at, r, plateau)
		}
	}
	if r := c.rate(st(resume/2), false); r <= plateau*0.97 || r >= plateau {
		t.Fatalf("halfway through resume: %v, want between %v and the plateau %v", r, plateau*0.97, plateau)
	}
	for _, at := range []time.Duration{resume, restore, restore + hold/2, restore + hold} {
		if r := c.rate(st(at), false); !near(r, plateau) {
			t.Fatalf("at %v from the pause's end: %v, want the plateau %v", at, r, plateau)
		}
	}
	if r := c.rate(st(-500*time.Millisecond), true); !near(r, 700) {
		t.Fatalf("again, during the pause: %v, want beta of the throttled rate", r)
	}
	if r := c.rate(st(0), true); !near(r, 700) {
		t.Fatalf("again, as the pause ends: %v, want 700", r)
	}
	prev := 700.0
	for at := 100 * time.Millisecond; at < restore; at += 100 * time.Millisecond {
		r := c.rate(st(at), true)
		if r <= prev || r > plateau {
			t.Fatalf("again, climb at %v: %v after %v, want rising up to %v", at, r, prev, plateau)
		}
		prev = r
	}
	if r := c.rate(st(restore), true); !near(r, plateau) {
		t.Fatalf("again, after restore: %v, want the plateau %v", r, plateau)
	}
	if r := c.rate(st(restore+hold+probe), false); !near(r, plateau*1.1) {
		t.Fatalf("after probing for %v: %v, want 10%% over the plateau", probe, r)
	}
	if r := c.rate(st(restore+hold+10*probe), false); !near(r, 1164) {
		t.Fatalf("probing long: %v, want the ceiling's pace", r)
	}
	// A 429 at the top of the pace keeps the plateau at the top: the climb restarts, and meets the
	// limit under the top if there is one.
	atTop := queue.PaceState{Limit: 1164, Since: t0, Until: end, Now: end.Add(restore + hold/2)}
	if r := c.rate(atTop, false); !near(r, 1164) {
		t.Fatalf("plateau after a 429 at the top: %v", r)
	}
	atTop.Now = end
	if r := c.rate(atTop, false); !near(r, 1164*beta) {
		t.Fatalf("restart after a 429 at the top: %v", r)
	}
	// A limit far under the ceiling: the plateau is under it, never over.
	low := queue.PaceState{Limit: 100, Since: t0, Until: end, Now: end.Add(restore + hold/2)}
	if r := c.rate(low, false); !near(r, 97) {
		t.Fatalf("plateau under a low limit: %v", r)
	}
	// The same state gives the same rate: replicas sharing a limiter agree.
	if a, b := c.rate(st(1234*time.Millisecond), false), c.rate(st(1234*time.Millisecond), false); a != b {
		t.Fatalf("%v != %v", a, b)
	}
	if d := interval(1200); d != 50*time.Millisecond {
		t.Fatalf("interval(1200) = %v", d)
	}
	if r := (pace{ceiling: 0.5, headroom: 0.03}).rate(queue.PaceState{}, false); r != floorRPM {
		t.Fatalf("a ceiling under the floor: %v", r)
	}
}

// One 429 after the plateau held does not lower it; during the climb, or soon after, it does.
func TestThrottledAt(t *testing.T) {
	c := pace{ceiling: 1200, headroom: 0.03}
	t0 := time.Unix(1_700_000_000, 0)
	end := t0.Add(time.Second)
	at := func(d time.Duration) queue.PaceState {
		return queue.PaceState{Limit: 900, Since: t0, Until: end, Now: end.Add(d)}
	}
	// What the limiter learns from a 429 to a request sent at rpm (the spacing unknown).
	learned := func(st queue.PaceState, rpm float64) float64 {
		return queue.ThrottleLimit(queue.Throttle{RPM: rpm, Floor: c.settledLimit(st)})
	}
	if r := learned(queue.PaceState{}, 1164); r != 1164 {
		t.Fatalf("first 429: %v", r)
	}
	if r := learned(at(time.Second), 800); r != 800 {
		t.Fatalf("a 429 during the climb: %v, want the rate it was sent at", r)
	}
	if r := learned(at(restore+settle/2), 873); r != 873 {
		t.Fatalf("a 429 soon after the climb: %v, want the rate it was sent at", r)
	}
	if r := learned(at(restore+settle), 873); r != 900 {
		t.Fatalf("a 429 on a plateau that held: %v, want the episode's limit kept", r)
	}
	if r := learned(at(restore+hold+probe), 960); r != 960 {
		t.Fatalf("a 429 while probing above the limit: %v, want the probed rate", r)
	}
}

func TestAnswerTimesMedian(t *testing.T) {
	var a answerTimes
	for i := range 7 {
		a.add(time.Duration(i) * time.Millisecond)
	}
	if _, _, ok := a.usual(); ok {
		t.Fatal("a median of 7 answers: too few to know what is usual")
	}
	a.add(100 * time.Millisecond)
	if u, f, ok := a.usual(); !ok || u != 4*time.Millisecond || f != 0 {
		t.Fatalf("median %v fastest %v %v, want 4ms and 0", u, f, ok)
	}
	for range 100 { // the ring keeps the latest
		a.add(10 * time.Millisecond)
	}
	if u, f, _ := a.usual(); u != 10*time.Millisecond || f != 10*time.Millisecond {
		t.Fatalf("median after many %v, fastest %v", u, f)
	}
}

// A slow answer holds the next grant by what it was late beyond the usual and the headroom.
func TestLateAnswerHoldsTheNextGrant(t *testing.T) {
	lim := queue.NewLocalLimiter(nil)
	p := NewPacerWith(PacerConfig{RPM: 600, Limiter: lim}) // 103.1 ms apart, 3.1 ms of headroom
	ctx := context.Background()
	for range 10 {
		p.answers.add(5 * time.Millisecond) // usually 5 ms, at fastest 4 ms
	}
	p.answers.add(4 * time.Millisecond)
	if err := p.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	granted, gap := p.grantedAt, interval(p.grantRPM)
	p.Answered(ctx, granted) // a usual answer
	if st, _ := lim.State(ctx); !st.Next.Equal(granted.Add(gap)) {
		t.Fatalf("a usual answer moved the next grant to %v after this one", st.Next.Sub(granted))
	}
	p.mu.Lock()
	p.grants[0].asked = p.grants[0].asked.Add(-30 * time.Millisecond) // its turn asked 30 ms before now
	p.mu.Unlock()
	p.Answered(ctx, granted) // the answer comes 30 ms after the grant: 25 ms late
	st, _ := lim.State(ctx)
	// Late by up to 25 ms, and the next may be 1 ms faster than usual: 26 ms less the headroom.
	if d := st.Next.Sub(granted) - gap; d < 22*time.Millisecond || d > 80*time.Millisecond {
		t.Fatalf("after an answer 25 ms late the next grant waits %v more, want about 23 ms", d)
	}
}

// A busy period starts under the ceiling and climbs to the top within rampUp, so that a limit
// under the ceiling is met on the climb; a 429's episode below it still rules.
func TestSlowStart(t *testing.T) {
	c := pace{ceiling: 1200, headroom: 0.03}
	t0 := time.Unix(1_700_000_000, 0)
	at := func(d time.Duration) queue.PaceState { return queue.PaceState{Now: t0.Add(d)} }
	if r := c.slowStart(at(0), t0, false); !near(r, 1200*beta) {
		t.Fatalf("as a busy period begins: %v, want beta of the ceiling", r)
	}
	prev := 1200 * beta
	for d := 100 * time.Millisecond; d < rampUp; d += 100 * time.Millisecond {
		r := c.slowStart(at(d), t0, false)
		if r <= prev || r > 1164 {
			t.Fatalf("climb at %v: %v after %v", d, r, prev)
		}
		prev = r
	}
	if r := c.slowStart(at(rampUp), t0, false); !near(r, 1164) {
		t.Fatalf("after rampUp: %v, want the top", r)
	}
	if r := c.slowStart(at(time.Hour), time.Time{}, false); !near(r, 1164) {
		t.Fatalf("no busy period: %v, want the top", r)
	}
	// Near a limit of 900 a request climbs about 1% over the one before (15 a second): the 429
	// comes at a rate close to the limit.
	for d := time.Duration(0); d < rampUp; d += time.Second / 15 {
		r, next := c.slowStart(at(d), t0, false), c.slowStart(at(d+time.Second/15), t0, false)
		if r >= 850 && r <= 950 && next/r > 1.015 {
			t.Fatalf("a step of %.1f%% from %v near 900", 100*(next/r-1), r)
		}
	}
	// A 429 at 900 on the climb: its episode (the plateau under 900) is below the climb.
	st := queue.PaceState{Limit: 900, Since: t0.Add(time.Second), Until: t0.Add(2 * time.Second), Now: t0.Add(2*time.Second + resume)}
	if r := c.slowStart(st, t0, false); !near(r, 873) {
		t.Fatalf("after a 429 on the climb: %v, want the plateau %v", r, 873)
	}
}

// A pacer's first request and the first after idleRestart start a busy period: the pace climbs
// from beta of the ceiling.
func TestPacerStartsSlowly(t *testing.T) {
	p := NewPacer(1200)
	if r := p.rateToAsk(); !near(r, 1200*beta) {
		t.Fatalf("first request asked at %v, want %v", r, 1200*beta)
	}
	if err := p.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := p.CurrentRPM(); r < 1200*beta || r > 1164 {
		t.Fatalf("pace %v just after the first grant, want on the climb", r)
	}
	p.mu.Lock()
	p.grantedAt = p.grantedAt.Add(-idleRestart - time.Second) // the last grant long ago: idle since
	p.mu.Unlock()
	if r := p.CurrentRPM(); !near(r, 1164) {
		t.Fatalf("idle pace %v, want the top", r)
	}
	if r := p.rateToAsk(); !near(r, 1200*beta) {
		t.Fatalf("first request after idle asked at %v, want %v", r, 1200*beta)
	}
}
