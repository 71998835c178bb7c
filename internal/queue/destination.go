package queue

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"
)

// DefaultDestination is the destination of a deployment that names none: CXone.
const DefaultDestination = "cxone"

// ErrNoDestination is returned for a destination name the store was not opened with.
var ErrNoDestination = errors.New("no such destination")

// Every store queues each accepted event for every destination it was opened with, in the same
// atomic write that accepts it; each destination's pusher drains its own queue (Router.Dest).
// The first destination is the primary: a store of one destination is exactly the store of
// before destinations existed (same keys and buckets), and adding one leaves the primary's queue
// in place.

// For reports whether ev is to be queued for destination dest (Event.Only, Event.Lanes).
func (ev *Event) For(dest string) bool {
	return (ev.Only == "" || ev.Only == dest) && (ev.Lanes == nil || slices.Contains(ev.Lanes, dest))
}

// CheckLanes reports a destination that ev names (Only, Lanes) and known does not list.
func (ev *Event) CheckLanes(known []string) error {
	if ev.Only != "" && !slices.Contains(known, ev.Only) {
		return fmt.Errorf("%w: %q", ErrNoDestination, ev.Only)
	}
	for _, l := range ev.Lanes {
		if !slices.Contains(known, l) {
			return fmt.Errorf("%w: %q", ErrNoDestination, l)
		}
	}
	return nil
}

// Router is a store with one queue per destination.
type Router interface {
	// Destinations names them, the primary first.
	Destinations() []string
	// Dest is the store as destination name's pusher and operator tools see it: Claim, Ack,
	// Retry, Snooze, DeadLetter, Recover, Redrive, NextDue, Stats and the dead-letter tools act on
	// that destination's queue; Enqueue, Reject and the evidence are the whole store's.
	Dest(name string) (Store, error)
}

var destName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// CheckDestinations validates a list of destination names: each a lower-case word (letters,
// digits, "_"; it is part of keys and metric labels), no repeats, at least one.
func CheckDestinations(names []string) error {
	if len(names) == 0 {
		return errors.New("no destinations")
	}
	seen := map[string]bool{}
	for _, n := range names {
		if !destName.MatchString(n) {
			return fmt.Errorf("destination name %q: want a lower-case word of letters, digits and _", n)
		}
		if seen[n] {
			return fmt.Errorf("destination %q named twice", n)
		}
		seen[n] = true
	}
	return nil
}

// DestinationNames is names as a store opens with them: checked (CheckDestinations), and the
// default destination alone when there are none.
func DestinationNames(names []string) ([]string, error) {
	if len(names) == 0 {
		return []string{DefaultDestination}, nil
	}
	return names, CheckDestinations(names)
}

// DestState is one destination's standing for a number: what it last confirmed, and whether the
// number waits for it.
type DestState struct {
	State            State     `json:"state"`
	ConfirmedAction  Action    `json:"confirmedAction,omitempty"`
	ConfirmedOccur   time.Time `json:"confirmedOccurredAt,omitzero"`
	ConfirmedAt      time.Time `json:"confirmedAt,omitzero"`
	ConfirmedExpires time.Time `json:"confirmedExpiresAt,omitzero"`
	LastError        string    `json:"lastError,omitempty"`
}

// At is d as it stands at now: a confirmed add whose expiry has passed is expired.
func (d DestState) At(now time.Time) DestState {
	if d.State == StateSynced && d.ConfirmedAction == Add && !d.ConfirmedExpires.IsZero() &&
		!d.ConfirmedExpires.After(now) {
		d.State = StateExpired
	}
	return d
}

// worse ranks states for Worst: what needs attention first. A number is only as protected as its
// least protected destination.
var worse = map[State]int{StateDead: 6, StateDropped: 5, StatePending: 4, StateExpired: 3}

// Worst is the state of a number across its destinations: dead, dropped, pending or expired if
// any destination is; the common state when all agree; pending otherwise (one destination has
// not yet confirmed what another did).
func Worst(states ...State) State {
	if len(states) == 0 {
		return ""
	}
	w, same := states[0], true
	for _, s := range states[1:] {
		if s != states[0] {
			same = false
		}
		if worse[s] > worse[w] {
			w = s
		}
	}
	if same || worse[w] > 0 {
		return w
	}
	return StatePending
}

// For is what destination dest says of the number: its entry in Destinations, or, with one
// destination (no Destinations), the state itself. ok is false when dest does not know the number
// (a destination added after the number's last request).
func (s NumberState) For(dest string) (d DestState, ok bool) {
	if len(s.Destinations) == 0 {
		return DestState{State: s.State, ConfirmedAction: s.ConfirmedAction, ConfirmedOccur: s.ConfirmedOccur,
			ConfirmedAt: s.ConfirmedAt, ConfirmedExpires: s.ConfirmedExpires, LastError: s.LastError}, true
	}
	d, ok = s.Destinations[dest]
	return d, ok
}

// Recorder is a store that remembers the destinations the service runs with, so that a tool that
// opens the store directly (import, dlq, status) can refuse to queue for fewer: an import that
// queued for CXone alone while the service also pushes to Genesys Cloud would leave those numbers
// callable there.
type Recorder interface {
	// RecordDestinations stores the list the store was opened with.
	RecordDestinations(ctx context.Context) error
	// RecordedDestinations returns the list last recorded; nil if none was.
	RecordedDestinations(ctx context.Context) ([]string, error)
}
