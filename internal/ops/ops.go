// Package ops is the operator's actions on a store: status, dead letters (list, retry, drop,
// re-queue all), rejections, a number's lookup, reconcile and the audit export. The /v1 API
// (adminapi) and the commands run beside a stopped service (internal/cli) both call them, so that
// each action and its rules are written once.
package ops

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/phone"
	"github.com/dncsync/dncsync/internal/queue"
)

// Store is what the actions use of the whole store: the evidence, the rejections, and the queue
// reconcile re-queues into (in the service, one that wakes the pushers).
type Store interface {
	Lookup(ctx context.Context, number string, page queue.Page) (queue.History, bool, error)
	Export(ctx context.Context, since, until time.Time, fn func(queue.AuditRecord) error) error
	RejectionsSince(ctx context.Context, since time.Time, limit int) ([]queue.Rejection, error)
	States(ctx context.Context, fn func(queue.NumberState) error) error
	Enqueue(ctx context.Context, events []queue.Event) ([]queue.EnqueueStatus, error)
}

// StatusStore is what a status reads of one destination's queue.
type StatusStore interface {
	Stats(ctx context.Context) (queue.Stats, error)
	LastConfirmed(ctx context.Context) (time.Time, error)
	RejectionStats(ctx context.Context) (queue.RejectionStats, error)
}

// LaneStore is one destination's queue as the actions use it (the store's view of it).
type LaneStore interface {
	StatusStore
	DeadLetters(ctx context.Context, limit int) ([]queue.DeadLetter, error)
	RedriveNumbers(ctx context.Context, numbers []string) ([]string, error)
	DropDead(ctx context.Context, numbers []string, reason string) ([]string, error)
	Redrive(ctx context.Context, max int) (int, error)
}

// Pacing is what status reports of a destination's pace: its pusher's pacer.
type Pacing interface {
	CurrentRPM() float64
	PausedUntil() time.Time
}

// Lane is one destination as the actions see it.
type Lane struct {
	Name   string
	Store  LaneStore
	Pacing Pacing             // nil: not known (no pusher in this process)
	Lister destination.Lister // nil: its list cannot be read (reconcile)
	Scope  string             // its scope filter (NAME_SCOPE), as records show it: "sms"; "": not known
}

// Ops are the actions on one store.
type Ops struct {
	Store Store
	// Lanes are the destinations, the primary first; a request that names none acts on the first.
	Lanes         []Lane
	DefaultRegion string // for numbers written without +
	Now           func() time.Time
}

func (o *Ops) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// InputError is a request an action refuses as given: a number that is not one, a missing
// reason. Its text says what to change.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

func inputError(format string, args ...any) error { return &InputError{fmt.Sprintf(format, args...)} }

// Lane is the destination name names; the first for "". An unknown one is an error wrapping
// queue.ErrNoDestination.
func (o *Ops) Lane(name string) (Lane, error) {
	if len(o.Lanes) == 0 {
		return Lane{}, errors.New("ops: no destinations (a wiring bug)")
	}
	if name == "" {
		return o.Lanes[0], nil
	}
	names := make([]string, len(o.Lanes))
	for i, l := range o.Lanes {
		if l.Name == name {
			return l, nil
		}
		names[i] = l.Name
	}
	return Lane{}, fmt.Errorf("%w: destination %q is not configured (DNCSYNC_DESTINATIONS=%s)", queue.ErrNoDestination, name,
		strings.Join(names, ","))
}

// MaxNumbers is the most numbers one retry or drop takes.
const MaxNumbers = 1000

// numbers normalizes numbers given in any format, read in the default region.
func (o *Ops) numbers(raw []string) ([]string, error) {
	if len(raw) == 0 || len(raw) > MaxNumbers {
		return nil, inputError("numbers: give 1 to %d numbers", MaxNumbers)
	}
	out := make([]string, len(raw))
	for i, r := range raw {
		n, err := phone.Parse(r, o.DefaultRegion)
		if err != nil {
			return nil, inputError("%q is not a valid phone number", r)
		}
		out[i] = n.E164
	}
	return out, nil
}
