package queue

import (
	"context"
	"sync"
	"time"
)

// PaceState is a rate limiter's state: what a pacer reads to space its requests and to adapt its
// rate. Times are the limiter's clock (Redis's for the shared limiter); Now says what that clock
// read, so a reader can translate them to its own.
type PaceState struct {
	Now  time.Time // the limiter's clock when the state was read
	Next time.Time // no request is granted before this: the last grant plus its interval
	// Granted is the time of the grant Take just made: Now, or up to GrantAhead later, when the
	// caller is to send; zero when Take granted nothing.
	Granted time.Time
	// Prev is the time of the grant before Granted, whichever caller it went to: Granted-Prev is the
	// spacing the shared pace really gave this request, which a 429 to it teaches (ThrottleLimit).
	// Zero when Take granted nothing or no grant came before. State reports the last grant here,
	// so that a replica beginning a busy period sees the pace the others keep.
	Prev time.Time
	// Spaced is the spacing of the grant Prev from the one before it (ThrottleLimit); zero: unknown.
	Spaced time.Duration
	Until  time.Time // a 429 pause holds every request until then
	// Limit is the rate (requests a minute) at which the current 429 episode began, and Since when
	// it began; zero: no 429 yet. Pacers derive their rate from these, so that every replica that
	// shares the limiter runs at the same rate.
	Limit float64
	Since time.Time
	// Streak counts 429 episodes in a row that came without a Retry-After, for the back-off.
	Streak int
}

// Throttle is a 429 answer, as a pacer reports it to its limiter.
type Throttle struct {
	GrantedAt time.Time // the limiter's time of the grant of the request answered 429
	RPM       float64   // the rate the pacer ran at when that request was granted
	// Prev is the grant before GrantedAt, as Take reported it (PaceState.Prev); zero: unknown.
	Prev time.Time
	// Spaced is PaceState.Spaced of the same grant; zero: unknown.
	Spaced time.Duration
	// Floor is the least limit the 429 may teach: a pacer whose plateau has settled does not let
	// one 429 lower it (jitter). 0: none.
	Floor      float64
	RetryAfter time.Duration // the server's Retry-After; 0: it gave none
	// Backoff is the pause without a Retry-After, by streak: Backoff[min(Streak, len)-1].
	Backoff []time.Duration
}

// Limiter keeps a pacer's state: one per process (LocalLimiter) or one in the Redis store that every
// replica shares, so that N replicas send at the limit, not N times it.
type Limiter interface {
	// Take grants one request if the last grant is at least interval ago (the grant ends at the
	// limiter's now: a request late for its turn does not make the next one early) and no 429
	// pause holds; a turn due within GrantAhead is granted for then (st.Granted). Otherwise wait is
	// how long until one might be granted; nothing changes.
	Take(ctx context.Context, interval time.Duration) (wait time.Duration, st PaceState, err error)
	// Throttle records a 429. A 429 to a request granted before the current episode began belongs
	// to that episode: it can only lengthen the pause. Otherwise a new episode begins at now with
	// Limit ThrottleLimit(t) (and Streak+1 when there was no Retry-After). Either way every request
	// pauses until at least now+RetryAfter, or now+Backoff by streak.
	Throttle(ctx context.Context, t Throttle) (PaceState, error)
	// Hold grants nothing before until (the limiter's clock): a request that arrived late must not
	// make the next look early. It never moves the next grant earlier.
	Hold(ctx context.Context, until time.Time) error
	// Clear ends the streak of 429s without Retry-After: a request was answered.
	Clear(ctx context.Context) error
	// State reads the state without changing it; Prev and Spaced are the last grant and its spacing.
	State(ctx context.Context) (PaceState, error)
}

// GrantAhead: a turn due this soon is granted at once, for its time; the caller sleeps the rest
// instead of asking again, which would make it late by a round trip to the limiter.
const GrantAhead = time.Millisecond

// LocalLimiter is a Limiter for one process (the embedded store's).
type LocalLimiter struct {
	now  func() time.Time
	mu   sync.Mutex
	st   PaceState
	last time.Time     // the last grant made
	gap  time.Duration // its spacing from the one before
}

// NewLocalLimiter returns a limiter on the clock now (nil: time.Now).
func NewLocalLimiter(now func() time.Time) *LocalLimiter {
	if now == nil {
		now = time.Now
	}
	return &LocalLimiter{now: now}
}

var _ Limiter = (*LocalLimiter)(nil)

// Take grants a request or says how long to wait.
func (l *LocalLimiter) Take(_ context.Context, interval time.Duration) (time.Duration, PaceState, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.st.Now, l.st.Granted = now, time.Time{}
	wait := max(l.st.Until.Sub(now), l.st.Next.Sub(now), 0)
	if wait > GrantAhead {
		return wait, l.st, nil
	}
	l.st.Granted = now.Add(wait)
	l.st.Next = l.st.Granted.Add(interval)
	st := l.st
	st.Prev, st.Spaced = l.last, l.gap
	if !l.last.IsZero() {
		l.gap = l.st.Granted.Sub(l.last)
	}
	l.last = l.st.Granted
	l.st.Granted = time.Time{}
	return 0, st, nil
}

// Throttle records a 429.
func (l *LocalLimiter) Throttle(_ context.Context, t Throttle) (PaceState, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.st.Now = now
	if l.st.Since.IsZero() || !t.GrantedAt.Before(l.st.Since) {
		if t.RetryAfter <= 0 {
			l.st.Streak++
		}
		l.st.Limit, l.st.Since = ThrottleLimit(t), now
	}
	if until := now.Add(ThrottlePause(t, l.st.Streak)); until.After(l.st.Until) {
		l.st.Until = until
	}
	return l.st, nil
}

// Hold defers the next grant to until.
func (l *LocalLimiter) Hold(_ context.Context, until time.Time) error {
	l.mu.Lock()
	if until.After(l.st.Next) {
		l.st.Next = until
	}
	l.mu.Unlock()
	return nil
}

// Clear ends the streak.
func (l *LocalLimiter) Clear(context.Context) error {
	l.mu.Lock()
	l.st.Streak = 0
	l.mu.Unlock()
	return nil
}

// State reads the state.
func (l *LocalLimiter) State(context.Context) (PaceState, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.st.Now = l.now()
	st := l.st
	st.Prev, st.Spaced = l.last, l.gap
	return st, nil
}

// ThrottleLimit is the limit a 429 that begins an episode teaches, from the spacings the shared
// pace really gave: the refused request came GrantedAt-Prev after the grant before it, which the
// server found too short, and that one came Spaced after its own predecessor, which the server
// took. The limit's interval lies between the two; the longer (the lower rate) is learned, since
// arrival jitter lets a spacing a little too short pass now and then, and a plateau learned from
// the shorter would sit so close to the limit that the next such spacing draws a second 429 and a
// second pause. Those spacings, not t.RPM, are the pace the server saw: with replicas sharing the
// limiter each asks at its own rate (one in its slow start asks less than the others), and the
// grant before, whichever replica it went to, spaced the next. A spacing longer than twice the
// refused pacer's interval (an idle gap) is no pace: it is left out, and with neither, t.RPM. A
// grant that stalled (a loaded machine) stretches a spacing: the longer counts for at most 10% over
// the refused one, about what the replicas' uneven climbs differ by. Never under t.Floor. redisq's pace_throttle.lua applies the same rule (a test holds them equal).
func ThrottleLimit(t Throttle) float64 {
	const spacedOver = 11 // tenths of the refused spacing
	paced := func(d time.Duration) bool {
		return d > 0 && (t.RPM <= 0 || float64(d) <= 2*float64(time.Minute)/t.RPM)
	}
	limit := t.RPM
	if gap := t.GrantedAt.Sub(t.Prev); !t.Prev.IsZero() && paced(gap) {
		if paced(t.Spaced) {
			gap = max(gap, min(t.Spaced, gap*spacedOver/10))
		}
		limit = float64(time.Minute) / float64(gap)
	}
	return max(limit, t.Floor)
}

// ThrottlePause is the pause a 429 asks for: its Retry-After, else the back-off for streak.
// redisq's pace_throttle.lua applies the same rule (a test holds them equal).
func ThrottlePause(t Throttle, streak int) time.Duration {
	if t.RetryAfter > 0 {
		return t.RetryAfter
	}
	if len(t.Backoff) == 0 {
		return 0
	}
	return t.Backoff[min(max(streak, 1), len(t.Backoff))-1]
}
