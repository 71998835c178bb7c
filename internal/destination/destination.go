// Package destination is what the pusher needs of a platform that keeps a do-not-call list: one
// small Client interface, the Pacer that holds its rate limit, and the errors that tell the pusher
// what to do with each number. One package per platform implements Client (cxone, genesys,
// webhook), each with a simulator beside it.
package destination

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Contact is one number to put on or take off the list.
type Contact struct {
	Number    string // E.164
	Reason    string
	Source    string
	ExpiresAt time.Time // zero: no end
	// OccurredAt is when the person asked (the event that decides the action), so that a
	// destination that carries it lets its receiver order a late retry against a newer action.
	OccurredAt time.Time
}

// Client is one destination: a do-not-call list of one platform (CXone, Genesys Cloud, a webhook).
type Client interface {
	// Add puts contacts on the list. The result has one entry per contact, in order: nil when the
	// destination confirmed the number is on the list (already being there counts), else an
	// *Error. Add sets each contact's ExpiresAt to the expiry it sent (zero: none, also when the API
	// takes none), so that the evidence shows what the destination was told.
	Add(ctx context.Context, contacts []Contact) []error
	// Remove takes contacts off the list; a number that was not there is a success.
	Remove(ctx context.Context, contacts []Contact) []error
	// Login checks that credentials work (for readiness).
	Login(ctx context.Context) error
}

// Pacer gates every API request. The pusher's implementation holds the organization's rate limit.
type Pacer interface {
	// Wait blocks until one request may be sent.
	Wait(ctx context.Context) error
	// Throttled reports a 429: every request pauses for retryAfter, or for the pacer's own growing
	// back-off when the destination gave none (0). It returns the pause applied. ctx bounds the
	// report to a shared limiter (its store's round trip); the pause itself holds in Wait.
	Throttled(ctx context.Context, retryAfter time.Duration) time.Duration
	// OK reports a request the destination accepted, which ends the 429 back-off.
	OK(ctx context.Context)
}

// AnswerTimer is a Pacer that also learns how long answers take: Answered is called with the time
// a request was let go, once its answer arrived. A slow answer may mean a late arrival, which
// would make the next request look early to a limit of one at a time. Clients call it when their
// pacer has it.
type AnswerTimer interface {
	Answered(ctx context.Context, sent time.Time)
}

// Answered tells p, if it is an AnswerTimer, that a request let go at sent has its answer.
func Answered(ctx context.Context, p Pacer, sent time.Time) {
	if t, ok := p.(AnswerTimer); ok {
		t.Answered(ctx, sent)
	}
}

// Kind says how the caller should treat a failure.
type Kind int

const (
	// Transient failures (5xx, timeouts, lost responses, unexpected answers) are retried with
	// back-off and spend an attempt.
	Transient Kind = iota
	// RateLimited (429) waits and retries without spending an attempt.
	RateLimited
	// Permanent failures are the item's own, its content named as the cause (dncsync's own checks
	// of the number): dead-letter it.
	Permanent
	// Config failures are the deployment's (credentials, scopes, list id): nothing an item can fix,
	// so items wait without spending attempts while an operator is told.
	Config
	// Refused is a destination refusing a number without an answer that names the number's content
	// as the cause: the number's fault, or the request's (an API version, a format the public
	// sources do not settle). The pusher decides with an Attribution: Config until the
	// destination has accepted another number since, Permanent after.
	Refused
)

func (k Kind) String() string {
	switch k {
	case RateLimited:
		return "rate_limited"
	case Permanent:
		return "permanent"
	case Config:
		return "config"
	case Refused:
		return "refused"
	}
	return "transient"
}

// Error is a failed the destination call.
type Error struct {
	Kind       Kind
	Dest       string        // the destination's name in messages ("genesys", "webhook"); empty: cxone
	Op         string        // "add", "upsert", "remove", "token", ...
	Status     int           // HTTP status; 0 when no answer came
	RetryAfter time.Duration // for RateLimited: the pause applied
	Msg        string        // short, log-safe: never a phone number or secret
	Err        error
	// Record is true for a per-record failure inside an answer the destination gave: the destination is up, so such a
	// failure is the record's own and spends an attempt even when nothing else was pushed.
	Record bool
}

// IsRecord reports whether err is a per-record failure in a 2xx answer.
func IsRecord(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Record
}

func (e *Error) Error() string {
	name := e.Dest
	if name == "" {
		name = "cxone" // the first destination's errors read as they always have
	}
	s := fmt.Sprintf("%s %s: %s", name, e.Op, e.Kind)
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf classifies any error; errors that are not *Error are transient.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Transient
}
