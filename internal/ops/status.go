package ops

import (
	"context"
	"fmt"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// Stats is the JSON of GET /v1/stats.
type Stats struct {
	Depth  int64 `json:"depth"`
	Ready  int64 `json:"ready"`
	Leased int64 `json:"inFlight"`
	Dead   int64 `json:"deadLetters"`
	// The compliance clock: the oldest request not yet confirmed by the destination.
	OldestUnsyncedAt         *time.Time `json:"oldestUnsyncedAt"`
	OldestUnsyncedAgeSeconds float64    `json:"oldestUnsyncedAgeSeconds"`
	// Destinations is each destination's own, when more than one is configured; the counts above
	// are then their sums and the oldest request the oldest of theirs.
	Destinations map[string]Stats `json:"destinations,omitempty"`
	// Rejections is what the store holds of rejected input and turned away (the whole store's,
	// not a destination's).
	Rejections *RejectionStats `json:"rejections,omitempty"`
}

// RejectionStats is queue.RejectionStats as the API shows it.
type RejectionStats struct {
	Kept       int64 `json:"kept"`
	Cap        int64 `json:"cap"`
	Recorded   int64 `json:"recorded"`
	Duplicates int64 `json:"duplicates"`
	Shed       int64 `json:"shed"`    // the oldest, past the cap
	Skipped    int64 `json:"skipped"` // not written: the store was past its share for rejections
	// StoreFill is the share of its limit the store uses; null when it has none known.
	StoreFill *float64 `json:"storeFill"`
}

// ReadRejections reads the store's rejection counts.
func ReadRejections(ctx context.Context, s StatusStore) (*RejectionStats, error) {
	st, err := s.RejectionStats(ctx)
	if err != nil {
		return nil, err
	}
	out := &RejectionStats{Kept: st.Kept, Cap: st.Cap, Recorded: st.Recorded, Duplicates: st.Duplicates,
		Shed: st.Shed, Skipped: st.Skipped}
	if st.Fill >= 0 {
		out.StoreFill = &st.Fill
	}
	return out, nil
}

// Stats reads the queue's counts and the compliance clock: of each destination, with more than one.
func (o *Ops) Stats(ctx context.Context) (Stats, error) {
	var out Stats
	for _, l := range o.Lanes {
		st, err := l.Store.Stats(ctx)
		if err != nil {
			return Stats{}, err
		}
		one := Stats{Depth: st.Depth(), Ready: st.Ready, Leased: st.Leased, Dead: st.Dead}
		if !st.OldestReceived.IsZero() {
			t := st.OldestReceived.UTC()
			one.OldestUnsyncedAt = &t
			one.OldestUnsyncedAgeSeconds = o.now().Sub(t).Seconds()
		}
		if len(o.Lanes) == 1 {
			out = one
			break
		}
		if out.Destinations == nil {
			out.Destinations = map[string]Stats{}
		}
		out.Destinations[l.Name] = one
		out.Depth, out.Ready, out.Leased, out.Dead = out.Depth+one.Depth, out.Ready+one.Ready, out.Leased+one.Leased, out.Dead+one.Dead
		if one.OldestUnsyncedAt != nil && (out.OldestUnsyncedAt == nil || one.OldestUnsyncedAt.Before(*out.OldestUnsyncedAt)) {
			out.OldestUnsyncedAt, out.OldestUnsyncedAgeSeconds = one.OldestUnsyncedAt, one.OldestUnsyncedAgeSeconds
		}
	}
	rej, err := ReadRejections(ctx, o.Lanes[0].Store)
	if err != nil {
		return Stats{}, err
	}
	out.Rejections = rej
	return out, nil
}

// Status is the JSON of GET /v1/status and `dncsync status --json`: the queue, the compliance
// clock, the last confirmation and the drain's pace.
type Status struct {
	Stats
	// Business days since the oldest unsynced request (Monday to Friday but US federal holidays,
	// UTC dates); the deadline is 10, at OldestUnsyncedDueBy (null: nothing waits).
	OldestUnsyncedBusinessDays int        `json:"oldestUnsyncedBusinessDays"`
	OldestUnsyncedDueBy        *time.Time `json:"oldestUnsyncedDueBy"`
	LastPushAt                 *time.Time `json:"lastPushAt"` // the last confirmation; null: never
	Pacing                     *PaceState `json:"pacing"`     // null when not known (read from the store directly)
	// Waiting says that the destination takes no writes now and when it will (window.go):
	// "waiting for Five9's window (opens 23:00 PT)"; absent when it does or nothing waits.
	Waiting string `json:"waiting,omitempty"`
	// Scope is the destination's scope filter (NAME_SCOPE): what its list is for, e.g. "sms".
	Scope         string     `json:"scope,omitempty"`
	WindowOpensAt *time.Time `json:"windowOpensAt,omitempty"`
	// Destinations is each destination's own status, when more than one is configured. The
	// counts above are then their sums, the oldest request the oldest of theirs, the last push
	// the least recent of theirs (null if one never confirmed), and pacing null.
	Destinations map[string]Status `json:"destinations,omitempty"`
}

// PaceState is the pusher's pace: requests a minute now, and the 429 pause if one lasts.
type PaceState struct {
	RPM          float64    `json:"rpm"`
	PausedUntil  *time.Time `json:"pausedUntil"`
	PauseSeconds float64    `json:"pauseSeconds"`
}

// Status reads the status of destination dest, or with dest "" of every destination (broken
// down by destination when there are several).
func (o *Ops) Status(ctx context.Context, dest string) (Status, error) {
	if dest == "" && len(o.Lanes) > 1 {
		return ReadStatusAll(ctx, o.Lanes, o.now())
	}
	l, err := o.Lane(dest)
	if err != nil {
		return Status{}, err
	}
	st, err := ReadStatus(ctx, l.Store, l.Pacing, o.now())
	st.Scope = l.Scope
	return st, err
}

// ReadStatusAll reads each lane's status and their summary (Status.Destinations).
func ReadStatusAll(ctx context.Context, lanes []Lane, now time.Time) (Status, error) {
	out := Status{Destinations: map[string]Status{}}
	var oldest, last time.Time
	neverPushed := false
	for _, l := range lanes {
		st, err := ReadStatus(ctx, l.Store, l.Pacing, now)
		if err != nil {
			return Status{}, fmt.Errorf("%s: %w", l.Name, err)
		}
		st.Scope = l.Scope
		out.Destinations[l.Name] = st
		out.Depth, out.Ready, out.Leased, out.Dead = out.Depth+st.Depth, out.Ready+st.Ready, out.Leased+st.Leased, out.Dead+st.Dead
		if st.OldestUnsyncedAt != nil && (oldest.IsZero() || st.OldestUnsyncedAt.Before(oldest)) {
			oldest = *st.OldestUnsyncedAt
		}
		switch {
		case st.LastPushAt == nil:
			neverPushed = true
		case last.IsZero() || st.LastPushAt.Before(last):
			last = *st.LastPushAt
		}
	}
	if !oldest.IsZero() {
		out.OldestUnsyncedAt = &oldest
		out.OldestUnsyncedAgeSeconds = now.Sub(oldest).Seconds()
		out.OldestUnsyncedBusinessDays = queue.BusinessDays(oldest, now)
		due := queue.DueBy(oldest)
		out.OldestUnsyncedDueBy = &due
	}
	if !neverPushed && !last.IsZero() {
		out.LastPushAt = &last
	}
	// The rejections are the whole store's: told once, not per destination.
	for name, st := range out.Destinations {
		if out.Rejections == nil {
			out.Rejections = st.Rejections
		}
		st.Rejections = nil
		out.Destinations[name] = st
	}
	return out, nil
}

// ReadStatus reads one queue's status from the store; pacing may be nil.
func ReadStatus(ctx context.Context, s StatusStore, pacing Pacing, now time.Time) (Status, error) {
	st, err := s.Stats(ctx)
	if err != nil {
		return Status{}, err
	}
	last, err := s.LastConfirmed(ctx)
	if err != nil {
		return Status{}, err
	}
	out := Status{Stats: Stats{Depth: st.Depth(), Ready: st.Ready, Leased: st.Leased, Dead: st.Dead}}
	if !st.OldestReceived.IsZero() {
		t := st.OldestReceived.UTC()
		out.OldestUnsyncedAt = &t
		out.OldestUnsyncedAgeSeconds = now.Sub(t).Seconds()
		out.OldestUnsyncedBusinessDays = queue.BusinessDays(t, now)
		due := queue.DueBy(t)
		out.OldestUnsyncedDueBy = &due
	}
	if !last.IsZero() {
		t := last.UTC()
		out.LastPushAt = &t
	}
	if out.Rejections, err = ReadRejections(ctx, s); err != nil {
		return Status{}, err
	}
	if pacing != nil {
		p := &PaceState{RPM: pacing.CurrentRPM()}
		if u := pacing.PausedUntil(); u.After(now) {
			u = u.UTC()
			p.PausedUntil, p.PauseSeconds = &u, u.Sub(now).Seconds()
		}
		out.Pacing = p
	}
	setWaiting(&out, pacing, now)
	return out, nil
}
