package pgq

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dncsync/dncsync/internal/queue"
)

// Limiter is the pace of one destination's requests shared by every replica on this database: one
// row of pace, locked for each decision, on the database's clock (clock_timestamp()), so that the
// replicas' own clocks do not skew the spacing. The rules are queue.LocalLimiter's.
type Limiter struct {
	s    *Store
	name string
}

var _ queue.Limiter = (*Limiter)(nil)

// Limiter returns the destination's shared rate limiter.
func (s *Store) Limiter() *Limiter { return &Limiter{s: s, name: s.d.name} }

// change runs fn on the locked state, at the database's now, and saves what fn changed. g is the
// last grant (the columns granted and spaced_us): Take moves it.
func (l *Limiter) change(ctx context.Context, op string, fn func(st *queue.PaceState, g *lastGrant)) (queue.PaceState, error) {
	var st queue.PaceState
	var last lastGrant
	err := l.s.inTx(ctx, func(tx pgx.Tx) error {
		st, last = queue.PaceState{}, lastGrant{}
		b := &pgx.Batch{}
		b.Queue(`INSERT INTO pace (name) VALUES ($1) ON CONFLICT DO NOTHING`, l.name)
		b.Queue(`SELECT clock_timestamp(), next, until, rpm, since, streak, granted, spaced_us FROM pace
			WHERE name = $1 FOR UPDATE`, l.name).
			QueryRow(func(row pgx.Row) error {
				var streak int32
				var spaced int64
				err := row.Scan(tm{&st.Now}, tm{&st.Next}, tm{&st.Until}, &st.Limit, tm{&st.Since}, &streak, tm{&last.at},
					&spaced)
				last.spaced = time.Duration(spaced) * time.Microsecond
				st.Streak = int(streak)
				return err
			})
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		before, was := st, last
		fn(&st, &last)
		if st.Next.Equal(before.Next) && st.Until.Equal(before.Until) && st.Limit == before.Limit &&
			st.Since.Equal(before.Since) && st.Streak == before.Streak && last.at.Equal(was.at) && last.spaced == was.spaced {
			return nil
		}
		_, err := tx.Exec(ctx, `UPDATE pace SET next = $2, until = $3, rpm = $4, since = $5, streak = $6, granted = $7,
			spaced_us = $8 WHERE name = $1`, l.name, ptz(st.Next), ptz(st.Until), st.Limit, ptz(st.Since), st.Streak,
			ptz(last.at), last.spaced.Microseconds())
		return err
	})
	if err != nil {
		return queue.PaceState{}, unavailable(op, err)
	}
	return st, nil
}

// lastGrant is the pace's last grant: when, and its spacing from the one before (0: unknown).
type lastGrant struct {
	at     time.Time
	spaced time.Duration
}

// ptz is t as a parameter at the microsecond the pacer needs; NULL for the zero time.
func ptz(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// Take grants one request now, or says how long to wait.
func (l *Limiter) Take(ctx context.Context, interval time.Duration) (time.Duration, queue.PaceState, error) {
	var wait time.Duration
	st, err := l.change(ctx, "pace", func(st *queue.PaceState, last *lastGrant) {
		wait = max(st.Until.Sub(st.Now), st.Next.Sub(st.Now), 0) // zero times are long past
		if wait > queue.GrantAhead {
			return
		}
		st.Granted = st.Now.Add(wait)
		st.Next = st.Granted.Add(interval)
		st.Prev, st.Spaced = last.at, last.spaced
		*last = lastGrant{at: st.Granted}
		if !st.Prev.IsZero() {
			last.spaced = st.Granted.Sub(st.Prev)
		}
		wait = 0
	})
	if err != nil {
		return 0, queue.PaceState{}, err
	}
	return wait, st, nil
}

// Throttle records a 429 for every replica.
func (l *Limiter) Throttle(ctx context.Context, t queue.Throttle) (queue.PaceState, error) {
	return l.change(ctx, "pace throttle", func(st *queue.PaceState, _ *lastGrant) {
		if st.Since.IsZero() || !t.GrantedAt.Before(st.Since) {
			if t.RetryAfter <= 0 {
				st.Streak++
			}
			st.Limit, st.Since = queue.ThrottleLimit(t), st.Now
		}
		if until := st.Now.Add(queue.ThrottlePause(t, st.Streak)); until.After(st.Until) {
			st.Until = until
		}
	})
}

// Hold defers the next grant of every replica to until.
func (l *Limiter) Hold(ctx context.Context, until time.Time) error {
	_, err := l.change(ctx, "pace hold", func(st *queue.PaceState, _ *lastGrant) {
		if until.After(st.Next) {
			st.Next = until
		}
	})
	return err
}

// Clear ends the streak of 429s without Retry-After.
func (l *Limiter) Clear(ctx context.Context) error {
	_, err := l.change(ctx, "pace clear", func(st *queue.PaceState, _ *lastGrant) { st.Streak = 0 })
	return err
}

// State reads the state.
func (l *Limiter) State(ctx context.Context) (queue.PaceState, error) {
	return l.change(ctx, "pace state", func(st *queue.PaceState, last *lastGrant) {
		st.Prev, st.Spaced = last.at, last.spaced // read, not saved
	})
}
