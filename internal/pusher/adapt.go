package pusher

import (
	"math"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// The adaptive pace. The destination's rate-limit setting (CXONE_RATE_LIMIT_RPM, say) is a ceiling, not a target: the pacer runs a little under
// it, and under whatever rate a 429 showed the server really allows (a burst-of-one bucket, a fixed
// window, a limit the organization shares with other integrations). A busy period climbs slowly to
// the top (slowStart), so that a limit under the ceiling is met at a rate close to it. After a 429
// under the top, once its pause ends, the rate resumes at once at a plateau a little under the rate
// learned (issue 16: a climb back from far below cost a 12-s drain more than its pause), holds
// there, and only after hold probes upward again, slowly at first (cubic, as CUBIC and the AWS
// SDKs' adaptive retry mode do), so that the drain settles just under the real limit and spends
// few requests finding it again. A second 429 soon after the first (again) says the plateau was
// wrong, the limit may have fallen: that episode restarts at beta of the rate learned and climbs
// back within restore, meeting the limit on the way. A 429 at the top of the pace (the ceiling less
// headroom) says little about the limit: a request that reached the destination a little late lets
// the next one seem early to a bucket of one. It pauses and restarts the climb, but the plateau
// stays at the top; if the limit really is lower, the climb meets it again under the top and
// learns it then.
const (
	// DefaultHeadroom is the share under the ceiling, or under a rate that drew a 429, to pace at:
	// room for the jitter between a request's grant and its arrival at the destination.
	DefaultHeadroom = 0.03
	beta            = 0.7
	// rampUp is the slow start's climb from beta of the ceiling to the top: slow enough that a
	// limit under the ceiling is met at a rate close to it (a step of about 1% a request at 15 a
	// second near 900 of 1,200), which is what the 429 teaches; over 3 s the steps of 2% let
	// arrival jitter draw the 429 a step or two early, and the plateau sat that much lower.
	rampUp = 6 * time.Second
	// restore is the climb after a 429's pause that came again (see above), from beta of the rate
	// learned to the plateau under it, and after a 429 at the top. The pause (a whole second at
	// least) already cost the drain its share; the climb only guards against a limit that fell
	// further, which it meets within the second.
	restore = time.Second
	// resume is the climb after a 429's pause otherwise, from the headroom under the plateau to
	// it: every replica's requests wake together as the pause ends, and the first may reach the
	// destination late, which makes the second look early (a second 429 and a second pause in
	// the real drains). A few milliseconds more for the first requests cost the drain almost
	// nothing.
	resume = 500 * time.Millisecond
	hold   = time.Minute
	// probe is how long probing takes to go 10% over the plateau.
	probe    = 30 * time.Second
	floorRPM = 1.0
	// topBand: a 429 at a rate this close to the top counts as one at the top.
	topBand = 0.99
	// settle: how long a plateau must hold before one 429 no longer lowers it (settledLimit).
	settle = 10 * time.Second
	// idleRestart: a grant after this long without one begins a busy period, which starts slowly
	// (slowStart).
	idleRestart = 10 * time.Second
	// guardShare: one 429 teaches a limit no lower than this share of the rate being granted
	// (Pacer.guard), unless another came within settle: on a climb the limit lies within a step
	// (about 1%) under the refused spacing, and a stretched spacing or a replica's uneven climb
	// must not teach more than the headroom under it.
	guardShare = 0.97
)

// pace computes the rate from a limiter's state: the same state gives every replica the same rate.
type pace struct {
	ceiling  float64 // requests a minute
	headroom float64
}

// top is the pace with no 429 learned: the ceiling less the headroom.
func (c pace) top() float64 { return max(c.ceiling*(1-c.headroom), floorRPM) }

// atTop says a 429 that taught limit came at the top of the pace, where it says little.
func (c pace) atTop(limit float64) bool { return limit >= c.ceiling*(1-c.headroom)*topBand }

// rate is the pace in requests a minute at st.Now. again: st's episode began soon after the
// previous one's pause ended (Pacer.again), so the climb back starts from beta.
func (c pace) rate(st queue.PaceState, again bool) float64 {
	top := c.ceiling * (1 - c.headroom)
	if st.Limit <= 0 || st.Since.IsZero() {
		return max(top, floorRPM)
	}
	plateau := min(top, st.Limit*(1-c.headroom))
	// Learned on a climb: resume just under the plateau as the pause ends, and reach it within
	// resume.
	start, over := plateau*(1-c.headroom), resume
	if c.atTop(st.Limit) {
		plateau = top
	}
	if again || c.atTop(st.Limit) {
		start, over = min(plateau, st.Limit*beta), restore
	}
	// The climb starts when the 429's pause ends: nothing was sent while it lasted.
	origin := st.Since
	if st.Until.After(origin) {
		origin = st.Until
	}
	var r float64
	switch t := st.Now.Sub(origin); {
	case t <= 0:
		r = start
	case t < over:
		r = climb(start, plateau, t, over)
	case t < restore+hold:
		r = plateau
	default:
		u := (t - restore - hold).Seconds() / probe.Seconds()
		r = plateau * (1 + 0.1*u*u*u)
	}
	return max(floorRPM, min(top, r))
}

// slowStart is the pace of a busy period that began at busy (the limiter's clock; zero: none), as
// after a 429 at the ceiling: from beta of the ceiling it climbs to the top within rampUp, then
// rate(st) alone holds. A limit under the configured ceiling is then met on the climb, where the
// rate that draws the 429 is close to the limit, so that one 429 (and one Retry-After pause) finds
// it; met at the top, a 429 says little, and finding the limit costs a pause more. Climbing costs
// a limit at the ceiling a fraction of a second (TCP's slow start after idle, RFC 2861, alike).
func (c pace) slowStart(st queue.PaceState, busy time.Time, again bool) float64 {
	r := c.rate(st, again)
	if busy.IsZero() || st.Now.IsZero() {
		return r
	}
	top := c.top()
	t := st.Now.Sub(busy)
	if t >= rampUp {
		return r
	}
	return min(r, max(floorRPM, climb(min(top, c.ceiling*beta), top, max(t, 0), rampUp)))
}

// alignBusy moves busy (a busy period's start) back so that the slow start at at is no slower than
// a grant spacing gap another replica sharing the limiter asked: replicas start their busy periods
// at their own first grants, and a replica behind on the climb would space the shared pace
// unevenly, so that a 429 teaches the limit from a spacing far longer than the refused one (an
// 840 learned against 900). It never moves busy later; 0 or an idle gap changes nothing.
func (c pace) alignBusy(busy, at time.Time, gap time.Duration) time.Time {
	if busy.IsZero() || gap <= 0 {
		return busy
	}
	top := c.top()
	start := min(top, c.ceiling*beta)
	r := float64(time.Minute) / float64(gap)
	if r <= start {
		return busy
	}
	t := rampUp
	if r < top { // invert climb
		t = time.Duration((1 - math.Cbrt((top-r)/(top-start))) * float64(rampUp))
	}
	if b := at.Add(-t); b.Before(busy) {
		return b
	}
	return busy
}

// climb is the rate t into a climb from start to plateau that takes over: fast at first, slowing
// as it nears the plateau (cubic, as CUBIC's window grows back).
func climb(start, plateau float64, t, over time.Duration) float64 {
	u := 1 - t.Seconds()/over.Seconds()
	return plateau - (plateau-start)*u*u*u
}

// settledLimit is the least limit a 429 now may teach (queue.Throttle.Floor): once the plateau has
// held for settle, one 429 does not lower it, since jitter that lets one request arrive a little
// early would otherwise ratchet the pace down, 3% at a time. The climb restarts all the same, and
// if the limit really fell, the climb meets it before settling and the next 429 lowers the
// plateau. 0: none.
func (c pace) settledLimit(st queue.PaceState) float64 {
	if st.Limit <= 0 || st.Since.IsZero() {
		return 0
	}
	origin := st.Since
	if st.Until.After(origin) {
		origin = st.Until
	}
	if st.Now.Sub(origin) >= restore+settle {
		return st.Limit
	}
	return 0
}

// interval is the least time between two grants at rate rpm.
func interval(rpm float64) time.Duration {
	return time.Duration(float64(time.Minute) / rpm)
}
