package redisq

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// Limiter is the pace of CXone requests shared by every replica on this Redis: one grant at a time
// at the interval the replicas' pacers ask for, one 429 pause and one adaptive episode for all. Its
// state is the hash {ns}:pace, in the queue's hash tag; its clock is Redis's (TIME), so replicas'
// clocks do not skew the spacing.
type Limiter struct {
	s   *Store
	key string
}

var _ queue.Limiter = (*Limiter)(nil)

// Limiter returns the store's shared rate limiter.
func (s *Store) Limiter() *Limiter { return &Limiter{s: s, key: s.d.qp + "pace"} }

// Take grants one request now, or says how long to wait.
func (l *Limiter) Take(ctx context.Context, interval time.Duration) (time.Duration, queue.PaceState, error) {
	res, err := paceTakeScript.Run(ctx, l.s.rdb, []string{l.key}, interval.Microseconds(),
		queue.GrantAhead.Microseconds()).Slice()
	if err != nil {
		return 0, queue.PaceState{}, wrap("pace", err)
	}
	wait, st, err := decodePace(res)
	return wait, st, wrapPace(err)
}

// Throttle records a 429 for every replica.
func (l *Limiter) Throttle(ctx context.Context, t queue.Throttle) (queue.PaceState, error) {
	var prev int64
	if !t.Prev.IsZero() {
		prev = t.Prev.UnixMicro()
	}
	args := []any{t.GrantedAt.UnixMicro(), strconv.FormatFloat(t.RPM, 'f', 3, 64), t.RetryAfter.Microseconds(), prev,
		t.Spaced.Microseconds(), strconv.FormatFloat(t.Floor, 'f', 3, 64)}
	for _, d := range t.Backoff {
		args = append(args, d.Microseconds())
	}
	res, err := paceThrottleScript.Run(ctx, l.s.rdb, []string{l.key}, args...).Slice()
	if err != nil {
		return queue.PaceState{}, wrap("pace throttle", err)
	}
	_, st, err := decodePace(res)
	return st, wrapPace(err)
}

// Hold defers the next grant of every replica to until.
func (l *Limiter) Hold(ctx context.Context, until time.Time) error {
	return wrap("pace hold", paceHoldScript.Run(ctx, l.s.rdb, []string{l.key}, until.UnixMicro()).Err())
}

// Clear ends the streak of 429s without Retry-After.
func (l *Limiter) Clear(ctx context.Context) error {
	return wrap("pace clear", l.s.rdb.HSet(ctx, l.key, "streak", 0).Err())
}

// State reads the shared state; a take with no interval would grant, so it reads by hand.
func (l *Limiter) State(ctx context.Context) (queue.PaceState, error) {
	res, err := paceStateScript.Run(ctx, l.s.rdb, []string{l.key}).Slice()
	if err != nil {
		return queue.PaceState{}, wrap("pace state", err)
	}
	_, st, err := decodePace(res)
	return st, wrapPace(err)
}

// decodePace reads {wait, now, next, until, limit, since, streak, granted, prev, spaced}: integers in µs,
// limit a string.
func decodePace(res []any) (time.Duration, queue.PaceState, error) {
	if len(res) != 10 {
		return 0, queue.PaceState{}, fmt.Errorf("unexpected reply of %d fields", len(res))
	}
	num := func(v any) int64 {
		switch x := v.(type) {
		case int64:
			return x
		case string:
			n, _ := strconv.ParseFloat(x, 64)
			return int64(n)
		}
		return 0
	}
	at := func(v any) time.Time {
		if n := num(v); n > 0 {
			return time.UnixMicro(n)
		}
		return time.Time{}
	}
	limit, _ := res[4].(string)
	lim, _ := strconv.ParseFloat(limit, 64)
	st := queue.PaceState{Now: at(res[1]), Next: at(res[2]), Until: at(res[3]), Limit: lim, Since: at(res[5]),
		Streak: int(num(res[6])), Granted: at(res[7]), Prev: at(res[8]),
		Spaced: time.Duration(num(res[9])) * time.Microsecond}
	return time.Duration(num(res[0])) * time.Microsecond, st, nil
}

func wrapPace(err error) error {
	if err != nil {
		return fmt.Errorf("redisq: pace: %w", err)
	}
	return nil
}
