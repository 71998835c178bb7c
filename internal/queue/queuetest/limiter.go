package queuetest

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// RunLimiter is the conformance suite of a queue.Limiter; open returns a fresh one per test.
func RunLimiter(t *testing.T, open func(t *testing.T) queue.Limiter) {
	tests := map[string]func(*testing.T, context.Context, queue.Limiter){
		"GrantsOneAtATime":      testGrants,
		"ThrottlePausesAll":     testThrottlePauses,
		"OneEpisodePerOverload": testEpisodes,
		"BackoffByStreak":       testBackoffStreak,
		"HoldDefersTheNext":     testHold,
		"LearnsTheSharedPace":   testSharedPace,
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			fn(t, ctx, open(t))
		})
	}
}

func take(t *testing.T, ctx context.Context, l queue.Limiter, interval time.Duration) (time.Duration, queue.PaceState) {
	t.Helper()
	wait, st, err := l.Take(ctx, interval)
	if err != nil {
		t.Fatalf("Take: %v", err)
	}
	return wait, st
}

func throttle(t *testing.T, ctx context.Context, l queue.Limiter, th queue.Throttle) queue.PaceState {
	t.Helper()
	st, err := l.Throttle(ctx, th)
	if err != nil {
		t.Fatalf("Throttle: %v", err)
	}
	return st
}

// turn is the interval of testGrants: long enough that the next Take, however loaded the machine,
// comes within it (a Take after the turn is rightly granted at once), and that test waits it out.
const turn = time.Second

func testGrants(t *testing.T, ctx context.Context, l queue.Limiter) {
	wait, st := take(t, ctx, l, turn)
	if wait != 0 || st.Now.IsZero() || !st.Granted.Equal(st.Now) {
		t.Fatalf("first Take waits %v (state %+v), want a grant now", wait, st)
	}
	// The next grant is one interval after this one, on the limiter's clock.
	if d := st.Next.Sub(st.Granted); d != turn {
		t.Fatalf("next grant %v after this one, want the interval", d)
	}
	wait, st2 := take(t, ctx, l, time.Millisecond) // asking with a shorter interval does not jump the turn
	if wait <= 0 || wait > turn || !st2.Next.Equal(st.Next) || !st2.Granted.IsZero() {
		t.Fatalf("second Take waits %v (state %+v, next was %v), want up to the interval and no change", wait,
			st2, st.Next)
	}
	// Asked for just before its turn, a grant is made for the turn's time (or for now, if late).
	for w := max(wait-queue.GrantAhead/2, 0); ; {
		// The shared limiters run on the server's clock (Redis TIME, PostgreSQL clock_timestamp()),
		// which a test cannot advance: waiting out the turn is the only way to reach it.
		time.Sleep(w)
		var st3 queue.PaceState
		if w, st3 = take(t, ctx, l, time.Hour); w > 0 {
			continue
		}
		if want := later(st3.Now, st.Next); !st3.Granted.Equal(want) || st3.Granted.Sub(st3.Now) > queue.GrantAhead {
			t.Fatalf("granted for %v at %v; want %v, at most %v ahead", st3.Granted, st3.Now, want, queue.GrantAhead)
		}
		if d := st3.Next.Sub(st3.Granted); d != time.Hour {
			t.Fatalf("next grant %v after the third, want its interval", d)
		}
		break
	}
	if w, _ := take(t, ctx, l, time.Hour); w < 59*time.Minute {
		t.Fatalf("a Take within the interval waits %v, want about an hour", w)
	}
	if st.Limit != 0 || !st.Since.IsZero() || !st.Until.IsZero() || st.Streak != 0 {
		t.Fatalf("a limiter never throttled has state %+v", st)
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func testThrottlePauses(t *testing.T, ctx context.Context, l queue.Limiter) {
	_, granted := take(t, ctx, l, time.Millisecond)
	st := throttle(t, ctx, l, queue.Throttle{GrantedAt: granted.Now, RPM: 120, RetryAfter: time.Hour})
	if st.Limit != 120 || st.Since.Before(granted.Now) || st.Streak != 0 || st.Until.Sub(st.Now) != time.Hour {
		t.Fatalf("after a 429 with Retry-After: %+v", st)
	}
	wait, _ := take(t, ctx, l, time.Millisecond)
	if wait < 59*time.Minute {
		t.Fatalf("Take during the pause waits %v, want the rest of the hour", wait)
	}
	read, err := l.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if read.Limit != 120 || !read.Until.Equal(st.Until) || !read.Since.Equal(st.Since) {
		t.Fatalf("State %+v, want what Throttle left %+v", read, st)
	}
}

func testEpisodes(t *testing.T, ctx context.Context, l queue.Limiter) {
	_, g1 := take(t, ctx, l, 0)
	_, g2 := take(t, ctx, l, 0)
	first := throttle(t, ctx, l, queue.Throttle{GrantedAt: g2.Now, RPM: 600, RetryAfter: time.Second})
	// A 429 to a request granted before the episode began (another replica's, in flight) is the
	// same overload: the rate the episode started at stays, the pause can only grow.
	same := throttle(t, ctx, l, queue.Throttle{GrantedAt: g1.Now, RPM: 300, RetryAfter: time.Minute})
	if same.Limit != 600 || !same.Since.Equal(first.Since) || same.Until.Sub(same.Now) != time.Minute {
		t.Fatalf("a 429 of the same episode: %+v (first %+v)", same, first)
	}
	shorter := throttle(t, ctx, l, queue.Throttle{GrantedAt: g1.Now, RPM: 300, RetryAfter: time.Millisecond})
	if !shorter.Until.Equal(same.Until) {
		t.Fatalf("a shorter Retry-After shortened the pause: %v, was %v", shorter.Until, same.Until)
	}
	// A request granted after the episode began that is answered 429 starts a new one.
	next := throttle(t, ctx, l, queue.Throttle{GrantedAt: same.Now.Add(time.Millisecond), RPM: 420, RetryAfter: time.Second})
	if next.Limit != 420 || !next.Since.After(first.Since) {
		t.Fatalf("a new episode: %+v, first %+v", next, first)
	}
}

func testBackoffStreak(t *testing.T, ctx context.Context, l queue.Limiter) {
	backoff := []time.Duration{time.Second, 3 * time.Second}
	var st queue.PaceState
	for i, want := range []time.Duration{time.Second, 3 * time.Second, 3 * time.Second} {
		st = throttle(t, ctx, l, queue.Throttle{GrantedAt: st.Now.Add(time.Hour), RPM: 60, Backoff: backoff})
		// Each pause starts at its own now, and the previous one ended before: it is the whole pause.
		if st.Streak != i+1 || st.Until.Sub(st.Now) != want {
			t.Fatalf("429 number %d without Retry-After: streak %d, pause %v, want %d and %v", i+1, st.Streak,
				st.Until.Sub(st.Now), i+1, want)
		}
		if got := queue.ThrottlePause(queue.Throttle{Backoff: backoff}, st.Streak); got != want {
			t.Fatalf("ThrottlePause for streak %d = %v, the limiter paused %v", st.Streak, got, want)
		}
	}
	if err := l.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if st, err := l.State(ctx); err != nil || st.Streak != 0 {
		t.Fatalf("after Clear: %+v %v", st, err)
	}
	// With a Retry-After the streak does not grow.
	st = throttle(t, ctx, l, queue.Throttle{GrantedAt: st.Now.Add(time.Hour), RPM: 60, RetryAfter: time.Second, Backoff: backoff})
	if st.Streak != 0 {
		t.Fatalf("a 429 with Retry-After grew the streak to %d", st.Streak)
	}
}

func testHold(t *testing.T, ctx context.Context, l queue.Limiter) {
	_, st := take(t, ctx, l, time.Millisecond)
	if err := l.Hold(ctx, st.Now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	wait, held := take(t, ctx, l, time.Millisecond)
	if wait < 59*time.Minute || !held.Next.Equal(st.Now.Add(time.Hour)) {
		t.Fatalf("after Hold an hour ahead: wait %v, next %v", wait, held.Next)
	}
	if err := l.Hold(ctx, st.Now); err != nil { // earlier: no change
		t.Fatal(err)
	}
	if _, again := take(t, ctx, l, time.Millisecond); !again.Next.Equal(held.Next) {
		t.Fatalf("a Hold earlier than the next grant moved it to %v", again.Next)
	}
}

// testSharedPace: a 429 teaches the spacing the shared pace gave the refused request, not the rate
// the refused caller asked for. Replicas share the limiter, each at its own rate: one still in its
// slow start asks far less than the pace the others keep, and learning its own rate would hold the
// drain under the limit for a minute (issue 16).
func testSharedPace(t *testing.T, ctx context.Context, l queue.Limiter) {
	_, first := take(t, ctx, l, 0) // another replica's grant
	if first.Granted.IsZero() || !first.Prev.IsZero() {
		t.Fatalf("the first grant of a fresh limiter: %+v, want granted, and no grant before", first)
	}
	// The refused replica runs at 60 rpm; the shared pace granted it right after the other's grant,
	// far faster.
	wait, mine := take(t, ctx, l, 0)
	if wait != 0 || !mine.Prev.Equal(first.Granted) {
		t.Fatalf("the second grant: wait %v, prev %v; want a grant whose prev is the first's, %v", wait, mine.Prev,
			first.Granted)
	}
	gap := mine.Granted.Sub(mine.Prev)
	if gap <= 0 || gap > time.Second {
		t.Fatalf("two grants in a row %v apart, want more than nothing and under the second asked", gap)
	}
	th := queue.Throttle{GrantedAt: mine.Granted, Prev: mine.Prev, RPM: 60, RetryAfter: time.Microsecond}
	want := float64(time.Minute) / float64(gap)
	if got := queue.ThrottleLimit(th); math.Abs(got-want) > 0.001 || want <= 60 {
		t.Fatalf("ThrottleLimit %v for grants %v apart, want %v (over the 60 rpm asked)", got, gap, want)
	}
	st := throttle(t, ctx, l, th)
	if math.Abs(st.Limit-want) > 0.01*want || !st.Since.After(first.Granted) {
		t.Fatalf("a 429 to grants %v apart taught %v rpm (state %+v), want the shared spacing's %.3f, not the 60 asked",
			gap, st.Limit, st, want)
	}
	// State reports the last grant and its spacing: a replica beginning a busy period reads the
	// pace the others keep.
	read, err := l.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !read.Prev.Equal(mine.Granted) || read.Spaced != gap || !read.Granted.IsZero() {
		t.Fatalf("State reports prev %v spaced %v granted %v, want the last grant %v, %v, and nothing granted",
			read.Prev, read.Spaced, read.Granted, mine.Granted, gap)
	}
	// The next grant reports the spacing of the one before it too (its Retry-After is over).
	for {
		wait, third := take(t, ctx, l, 0)
		if wait > 0 {
			continue // the microsecond's pause, on the limiter's clock
		}
		if !third.Prev.Equal(mine.Granted) || third.Spaced != gap {
			t.Fatalf("the third grant reports prev %v and spaced %v, want the second's %v and %v", third.Prev,
				third.Spaced, mine.Granted, gap)
		}
		break
	}
	// Of the refused spacing (60 ms) and the one before, which passed (64 ms), the longer is learned.
	at := st.Now.Add(time.Hour)
	both := queue.Throttle{GrantedAt: at, Prev: at.Add(-60 * time.Millisecond), Spaced: 64 * time.Millisecond, RPM: 60,
		RetryAfter: time.Second}
	want = float64(time.Minute) / float64(64*time.Millisecond)
	if st = throttle(t, ctx, l, both); math.Abs(st.Limit-want) > 0.01 || math.Abs(queue.ThrottleLimit(both)-want) > 0.001 {
		t.Fatalf("a 429 after spacings of 64 then 60 ms taught %v (ThrottleLimit %v), want %.3f", st.Limit,
			queue.ThrottleLimit(both), want)
	}
	// A spacing stretched by a stall (90 ms) counts for at most 10% over the refused one.
	at = at.Add(time.Hour)
	stall := queue.Throttle{GrantedAt: at, Prev: at.Add(-60 * time.Millisecond), Spaced: 90 * time.Millisecond, RPM: 60,
		RetryAfter: time.Second}
	want = float64(time.Minute) / float64(66*time.Millisecond)
	if st = throttle(t, ctx, l, stall); math.Abs(st.Limit-want) > 0.01 || math.Abs(queue.ThrottleLimit(stall)-want) > 0.001 {
		t.Fatalf("a 429 after spacings of 90 then 60 ms taught %v (ThrottleLimit %v), want %.3f", st.Limit,
			queue.ThrottleLimit(stall), want)
	}
	// A spacing over twice the refused caller's interval is an idle gap, not a pace: its own rate.
	later := at.Add(time.Hour)
	idle := queue.Throttle{GrantedAt: later, Prev: later.Add(-3 * time.Second), Spaced: 70 * time.Millisecond, RPM: 60,
		RetryAfter: time.Second}
	if st = throttle(t, ctx, l, idle); st.Limit != 60 || queue.ThrottleLimit(idle) != 60 {
		t.Fatalf("a 429 after an idle gap taught %v (ThrottleLimit %v), want the 60 asked", st.Limit, queue.ThrottleLimit(idle))
	}
	// Unknown spacing: its own rate, never under the floor.
	later = later.Add(time.Hour)
	floor := queue.Throttle{GrantedAt: later, RPM: 60, Floor: 90, RetryAfter: time.Second}
	if st = throttle(t, ctx, l, floor); st.Limit != 90 || queue.ThrottleLimit(floor) != 90 {
		t.Fatalf("a 429 at 60 rpm with a floor of 90 taught %v, want 90", st.Limit)
	}
}
