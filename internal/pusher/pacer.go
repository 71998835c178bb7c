package pusher

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dncsync/dncsync/internal/backoff"
	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/queue"
)

// PacerConfig configures a Pacer.
type PacerConfig struct {
	// RPM is the ceiling, requests a minute for the organization (the destination's rate-limit setting).
	RPM int
	// Limiter keeps the pace; share one (the Redis store's) so that every replica draws from one
	// limit. Nil: a limiter of this process alone.
	Limiter queue.Limiter
	// Headroom is the share under the ceiling, and under a rate that drew a 429, to pace at.
	// 0: DefaultHeadroom.
	Headroom float64
}

// Pacer gates every request to the destination: one at a time at the adaptive pace (see adapt.go), all of them
// held while a 429's pause lasts. Its state lives in its Limiter, so a status page of any replica
// reads the same rate and pause.
type Pacer struct {
	pace pace
	lim  queue.Limiter

	mu         sync.Mutex
	st         queue.PaceState // as last read from the limiter
	read       time.Time       // this process's clock when st was read
	grantedAt  time.Time       // the limiter's time of this process's last grant
	prevAt     time.Time       // the limiter's time of the grant before it, any replica's (PaceState.Prev)
	spaced     time.Duration   // the grant prevAt's spacing from the one before (PaceState.Spaced)
	busy       time.Time       // the limiter's time the current busy period began (slowStart)
	grantRPM   float64         // the rate of that grant
	grants     [2]grant        // this process's last grants, for Answered
	localUntil time.Time       // a pause the limiter could not record (its store unreachable)
	answers    answerTimes     // how long recent answers took
	since      time.Time       // the episode (PaceState.Since) last read
	prevUntil  time.Time       // the end of the pause of the episode before it, as last read
	guarded    time.Time       // when a 429 last had its limit raised by guard (this process's clock)
	taken      taken           // this process's recent grants' spacings, for a 429 (tookFloor)
	joined     time.Time       // the start of a busy period aligned with the shared pace (join); zero: none

	waiting sync.Mutex
	waiters int
	idle    chan struct{} // closed while no caller waits for its turn
}

var (
	_ destination.Pacer       = (*Pacer)(nil)
	_ destination.AnswerTimer = (*Pacer)(nil)
)

// NewPacer paces to at most rpm requests a minute, in this process alone.
func NewPacer(rpm int) *Pacer { return NewPacerWith(PacerConfig{RPM: rpm}) }

// NewPacerWith returns a pacer for cfg.
func NewPacerWith(cfg PacerConfig) *Pacer {
	if cfg.Headroom <= 0 || cfg.Headroom >= 1 {
		cfg.Headroom = DefaultHeadroom
	}
	if cfg.Limiter == nil {
		cfg.Limiter = queue.NewLocalLimiter(nil)
	}
	idle := make(chan struct{})
	close(idle)
	return &Pacer{pace: pace{ceiling: float64(cfg.RPM), headroom: cfg.Headroom}, lim: cfg.Limiter, idle: idle}
}

// Idle is closed once no request of this process waits for its turn: the pusher collects its next
// batch then, so that the batch fills while it waits for its own turn and batches in flight do not
// split the work into half-full requests.
func (p *Pacer) Idle() <-chan struct{} {
	p.waiting.Lock()
	defer p.waiting.Unlock()
	return p.idle
}

func (p *Pacer) enter() {
	p.waiting.Lock()
	if p.waiters == 0 {
		p.idle = make(chan struct{})
	}
	p.waiters++
	p.waiting.Unlock()
}

func (p *Pacer) leave() {
	p.waiting.Lock()
	p.waiters--
	if p.waiters == 0 {
		close(p.idle)
	}
	p.waiting.Unlock()
}

// limiterRetry bounds the wait before asking an unreachable limiter again.
const limiterRetry = time.Second

// limiterCall bounds a report to the limiter (a 429, an answer, a cleared streak) within the
// caller's own deadline: a request's answer is not held up long by a slow store.
const limiterCall = 2 * time.Second

// Wait blocks until the limiter grants one request.
func (p *Pacer) Wait(ctx context.Context) error {
	p.enter()
	defer p.leave()
	p.join(ctx)
	trouble := 0
	for {
		if err := sleepUntil(ctx, p.pausedLocally()); err != nil {
			return err
		}
		rpm := p.rateToAsk()
		asked := time.Now()
		wait, st, err := p.lim.Take(ctx, interval(rpm))
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// The store that keeps the shared pace is unreachable (a failover, say): ask again
			// soon rather than fail a request that the store's return would let through.
			trouble++
			if err := sleepUntil(ctx, time.Now().Add(backoff.Exp(100*time.Millisecond, limiterRetry, trouble))); err != nil {
				return err
			}
			continue
		}
		trouble = 0
		p.mu.Lock()
		p.observe(st)
		if wait == 0 {
			p.busy, p.joined = p.busyAt(st.Granted), time.Time{}
			if !st.Prev.IsZero() {
				// Keep up with a replica further on its climb (alignBusy).
				p.busy = p.pace.alignBusy(p.busy, st.Granted, shortest(st.Granted.Sub(st.Prev), st.Spaced))
			}
			p.grantedAt, p.prevAt, p.spaced, p.grantRPM = st.Granted, st.Prev, st.Spaced, rpm
			p.grants[1], p.grants[0] = p.grants[0], grant{asked: asked, at: st.Granted, rpm: rpm}
			p.taken.add(asked, st)
			p.mu.Unlock()
			// A turn granted just ahead (queue.GrantAhead) starts at its time.
			if err := sleepUntil(ctx, time.Now().Add(st.Granted.Sub(st.Now))); err != nil {
				return err
			}
			markRequest(ctx)
			return nil
		}
		p.mu.Unlock()
		// Ask again a little before the turn: the limiter grants it for its time, and this process
		// sleeps the rest instead of arriving a round trip late.
		if err := sleepUntil(ctx, time.Now().Add(max(wait-queue.GrantAhead/2, 0))); err != nil {
			return err
		}
	}
}

// requestMark notes when a request's turn was granted, for the pusher's receipt-to-request metric:
// the pusher puts one in the context it hands its destination, whose client asks the pacer with it.
type requestMark struct{ at atomic.Int64 }

type requestMarkKey struct{}

func withRequestMark(ctx context.Context) (context.Context, *requestMark) {
	m := &requestMark{}
	return context.WithValue(ctx, requestMarkKey{}, m), m
}

// markRequest notes now in ctx's mark, if it has one. The last grant counts: a request after a
// token's refresh goes at the second.
func markRequest(ctx context.Context) {
	if m, ok := ctx.Value(requestMarkKey{}).(*requestMark); ok {
		m.at.Store(time.Now().UnixNano())
	}
}

// when is the last grant noted, zero if none.
func (m *requestMark) when() time.Time {
	if ns := m.at.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

// rateToAsk is the pace for the next request: a request after idleRestart without one starts a
// busy period, which climbs from under the ceiling (slowStart).
func (p *Pacer) rateToAsk() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.estimateLocked()
	if st.Now.IsZero() {
		// Nothing read from the limiter yet: a busy period begins now. (Replicas sharing the
		// limiter space their first requests by this rate too.)
		st.Now = time.Now()
	}
	return p.pace.slowStart(st, p.busyAt(st.Now), p.again(st))
}

// again says the episode of st began less than settle after the pause of the one before it ended:
// a 429 soon after the pace resumed at its plateau, which the plateau did not keep off (pace.rate).
// p.mu is held.
func (p *Pacer) again(st queue.PaceState) bool {
	return !p.prevUntil.IsZero() && st.Since.Equal(p.since) && st.Since.Sub(p.prevUntil) < settle
}

// shortest is the shorter of two spacings, 0 unknown.
func shortest(a, b time.Duration) time.Duration {
	if a <= 0 {
		return max(b, 0)
	}
	if b <= 0 {
		return a
	}
	return min(a, b)
}

// busyAt is when the busy period of a request granted at now (the limiter's clock) began. p.mu is
// held.
func (p *Pacer) busyAt(now time.Time) time.Time {
	if now.IsZero() || p.busy.IsZero() || p.grantedAt.IsZero() || now.Sub(p.grantedAt) > idleRestart {
		if !p.joined.IsZero() && p.joined.Before(now) {
			return p.joined // a busy period that joins the others' pace (join)
		}
		return now
	}
	return p.busy
}

// busyNow is the current busy period's start, zero when idle: what the pace reported now reflects.
// p.mu is held.
func (p *Pacer) busyNow(now time.Time) time.Time {
	if now.IsZero() || p.grantedAt.IsZero() || now.Sub(p.grantedAt) > idleRestart {
		return time.Time{}
	}
	return p.busy
}

// observe records a state read from the limiter, and a new episode's predecessor (again). p.mu
// is held.
func (p *Pacer) observe(st queue.PaceState) {
	if !st.Since.IsZero() && !st.Since.Equal(p.since) {
		p.prevUntil = time.Time{}
		if !p.since.IsZero() {
			p.prevUntil = p.st.Until
		}
		p.since = st.Since
	}
	p.st, p.read = st, time.Now()
}

// estimate is the last state read, advanced to now by this process's clock.
func (p *Pacer) estimate() queue.PaceState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.estimateLocked()
}

func (p *Pacer) estimateLocked() queue.PaceState {
	st := p.st
	if p.read.IsZero() {
		st.Now = time.Time{}
		return st
	}
	st.Now = st.Now.Add(time.Since(p.read))
	return st
}

// local translates a time of the limiter's clock to this process's.
func (p *Pacer) local(t time.Time) time.Time {
	if t.IsZero() || p.read.IsZero() {
		return time.Time{}
	}
	return p.read.Add(t.Sub(p.st.Now))
}

func (p *Pacer) pausedLocally() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.localUntil
}

// Throttled reports a 429: every request of every replica sharing the limiter pauses for
// retryAfter, or without one for a jittered back-off (1 s doubling to 60 s) that grows with each
// 429 in a row; the pace drops and climbs back (adapt.go). It returns the pause applied. ctx
// bounds the report to the limiter (at most limiterCall); a report that fails or is cut short
// pauses this process alone.
func (p *Pacer) Throttled(ctx context.Context, retryAfter time.Duration) time.Duration {
	p.mu.Lock()
	// The limiter learns the limit from the spacing its shared pace gave the refused request
	// (queue.ThrottleLimit): with replicas sharing it, this process's own rate says little.
	th := queue.Throttle{GrantedAt: p.grantedAt, Prev: p.prevAt, Spaced: p.spaced, RPM: p.grantRPM, RetryAfter: retryAfter,
		Backoff: throttleBackoff()}
	if th.RPM == 0 {
		st := p.estimateLocked()
		th.RPM = p.pace.slowStart(st, p.busyNow(st.Now), p.again(st))
	}
	if prev := p.grants[1].rpm; prev > 0 && prev < th.RPM {
		// When the limiter cannot tell the spacing: on a climb the lower is the rate of the
		// grant before, whose interval (a grant spaces the next) spaced the request that drew the
		// 429, if this process alone sends. The limit lies under it by less than one step of the
		// climb (about 2% in the slow start), so the plateau, the headroom under it, sits about 2%
		// under the limit.
		th.RPM = prev
	}
	est := p.estimateLocked()
	th.Floor = p.tookFloor(th, est)
	th.Floor = max(th.Floor, p.pace.settledLimit(est), p.guard(th, est))
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, limiterCall)
	defer cancel()
	st, err := p.lim.Throttle(ctx, th)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		// The shared limiter is unreachable: this process pauses alone.
		d := queue.ThrottlePause(th, p.st.Streak+1)
		if until := time.Now().Add(d); until.After(p.localUntil) {
			p.localUntil = until
		}
		return d
	}
	p.observe(st)
	return max(st.Until.Sub(st.Now), 0)
}

// tookFloor is the least limit the 429 th may teach by the shortest spacing the server recently
// took from this process (taken), and no more than the rate of the refused spacing: the limit's
// interval lies between the two. 0: none. p.mu is held.
func (p *Pacer) tookFloor(th queue.Throttle, st queue.PaceState) float64 {
	if th.GrantedAt.IsZero() || th.Prev.IsZero() || th.RPM <= 0 {
		return 0
	}
	refused := th.GrantedAt.Sub(th.Prev)
	ok := p.taken.shortest(th.GrantedAt, st.Since, 2*interval(th.RPM))
	if ok <= 0 || refused <= 0 {
		return 0
	}
	return float64(time.Minute) / float64(max(ok, refused))
}

// guard is the least limit the 429 th may teach, beside settledLimit (issue 16): one 429 is no
// proof of a limit far under the rate being granted (th.RPM or the refused spacing's rate, or the
// episode's limit when one was learned under the top). A spacing stretched by a stalled grant, or by a replica behind on its
// climb, would teach such a limit (614 against 900 in one run) and hold the pace there for a
// minute. So a 429 teaches at least guardShare of that rate, and a second within settle, which
// would be proof, teaches what it shows. 0: no guard. p.mu is held.
func (p *Pacer) guard(th queue.Throttle, st queue.PaceState) float64 {
	ref := th.RPM
	if gap := th.GrantedAt.Sub(th.Prev); !th.Prev.IsZero() && gap > 0 && gap <= 2*interval(th.RPM) {
		ref = max(ref, float64(time.Minute)/float64(gap)) // the refused spacing: the pace granted
	}
	if st.Limit > 0 && !st.Since.IsZero() && !p.pace.atTop(st.Limit) {
		ref = max(ref, st.Limit)
	}
	floor := guardShare * ref
	if queue.ThrottleLimit(th) >= floor {
		return 0
	}
	if !p.guarded.IsZero() && time.Since(p.guarded) < settle {
		return 0
	}
	p.guarded = time.Now()
	return floor
}

// Answered learns how long the answer to a request let go at sent took, counted from when its turn
// was asked for: a delay anywhere from the grant to the destination's answer counts. An answer slower than
// usual by more than the headroom may have arrived that much late, which would make the next
// request look early to a limit of one at a time: the next grant (of every replica) waits the
// difference. ctx bounds the hold's call to the limiter.
func (p *Pacer) Answered(ctx context.Context, sent time.Time) {
	now := time.Now()
	p.mu.Lock()
	p.taken.answered(sent)
	g := p.grants[0]
	if g.asked.After(sent) { // a grant taken after this request was sent: its predecessor
		g = p.grants[1]
	}
	if g.asked.IsZero() || g.asked.After(sent) {
		p.mu.Unlock()
		return
	}
	took := now.Sub(g.asked)
	usual, fastest, ok := p.answers.usual()
	p.answers.add(took)
	gap := interval(g.rpm)
	slack := time.Duration(float64(gap) * p.pace.headroom)
	p.mu.Unlock()
	if !ok || took-usual <= slack {
		return
	}
	// It was late by up to took-usual, and the next request may arrive as fast as the fastest
	// answer: hold the next grant so that even then the two arrive the limit's interval apart.
	ctx, cancel := context.WithTimeout(ctx, limiterCall/2)
	defer cancel()
	_ = p.lim.Hold(ctx, g.at.Add(gap+took-fastest-slack)) // if it fails, the headroom is all there is
}

// grant is one turn this process was given: when it asked (its clock), when the limiter granted
// it (the limiter's clock), at what rate.
type grant struct {
	asked, at time.Time
	rpm       float64
}

// answerTimes keeps the last answers' durations.
type answerTimes struct {
	ring [31]time.Duration
	n    int
}

func (a *answerTimes) add(d time.Duration) {
	a.ring[a.n%len(a.ring)] = d
	a.n++
}

// usual is the median of the recent answers, fastest their minimum; ok is false until there are
// enough of them.
func (a *answerTimes) usual() (usual, fastest time.Duration, ok bool) {
	n := min(a.n, len(a.ring))
	if n < 8 {
		return 0, 0, false
	}
	s := make([]time.Duration, n)
	copy(s, a.ring[:n])
	slices.Sort(s)
	return s[n/2], s[0], true
}

// OK reports a request the destination answered, which ends the streak of 429s without
// Retry-After. ctx bounds the limiter's call, when there is one.
func (p *Pacer) OK(ctx context.Context) {
	p.mu.Lock()
	streak := p.st.Streak
	p.st.Streak = 0
	p.mu.Unlock()
	if streak == 0 {
		return // nothing to clear: no write per request
	}
	ctx, cancel := context.WithTimeout(ctx, limiterCall)
	defer cancel()
	_ = p.lim.Clear(ctx) // if it fails, the next 429 pauses a little longer
}

// Delay is how long a request would wait now, by the last state read; it takes nothing.
func (p *Pacer) Delay() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.estimateLocked()
	d := max(time.Until(p.localUntil), 0)
	if !st.Now.IsZero() {
		d = max(d, st.Until.Sub(st.Now), st.Next.Sub(st.Now))
	}
	return d
}

// stateMaxAge bounds how old a state CurrentRPM and PausedUntil report: a replica that sends
// nothing itself reads the shared limiter again.
const stateMaxAge = time.Second

// fresh returns the state, read again from the limiter if the last read is older than stateMaxAge.
func (p *Pacer) fresh() queue.PaceState {
	p.mu.Lock()
	stale := time.Since(p.read) > stateMaxAge
	p.mu.Unlock()
	if stale {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		st, err := p.lim.State(ctx)
		cancel()
		if err == nil {
			p.mu.Lock()
			p.observe(st)
			p.mu.Unlock()
		}
	}
	return p.estimate()
}

// CurrentRPM is the pace now, in requests a minute: the same on every replica sharing the limiter.
func (p *Pacer) CurrentRPM() float64 {
	st := p.fresh()
	if st.Now.IsZero() {
		return p.pace.rate(queue.PaceState{}, false)
	}
	p.mu.Lock()
	busy, again := p.busyNow(st.Now), p.again(st)
	p.mu.Unlock()
	return p.pace.slowStart(st, busy, again)
}

// CeilingRPM is the configured ceiling (the destination's rate-limit setting).
func (p *Pacer) CeilingRPM() float64 { return p.pace.ceiling }

// PausedUntil is when the current 429 pause ends, on this process's clock; zero when none holds.
func (p *Pacer) PausedUntil() time.Time {
	st := p.fresh()
	p.mu.Lock()
	defer p.mu.Unlock()
	until := p.localUntil
	if !st.Until.IsZero() && st.Until.After(st.Now) {
		if u := p.local(p.st.Until); u.After(until) {
			until = u
		}
	}
	if !until.After(time.Now()) {
		return time.Time{}
	}
	return until
}

// throttleBackoff is the pause after a 429 without Retry-After, by streak: 1 s doubling to 60 s,
// jittered so that replicas and processes do not come back in step.
func throttleBackoff() []time.Duration {
	out := make([]time.Duration, 7)
	for i := range out {
		out[i] = backoff.Jittered(time.Second, time.Minute, i+1)
	}
	return out
}

// Backoff is the default delay before retry number attempt (1-based) of an item: 10 s doubling,
// capped at an hour, jittered. Twelve attempts span about three and a half hours of failures.
var Backoff = ExpBackoff(10*time.Second, time.Hour)

// ExpBackoff returns a back-off that starts at base and doubles up to limit, jittered.
func ExpBackoff(base, limit time.Duration) func(attempt int) time.Duration {
	return func(attempt int) time.Duration { return backoff.Jittered(base, limit, attempt) }
}

func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
