// Package cxone talks to NICE CXone. One Client per API profile (v2: the tutorial's Outbound DNC
// contract; admin: the real Admin API's DNC groups), behind one small interface the pusher uses.
// Every API request goes through a Pacer so that the whole process stays under the organization's
// rate limit and pauses together on a 429.
package cxone

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
}

// Client is one CXone API profile.
type Client interface {
	// Add puts contacts on the list. The result has one entry per contact, in order: nil when CXone
	// confirmed the number is on the list (already being there counts), else an *Error. Add sets
	// each contact's ExpiresAt to the expiry it sent (zero: none, also when the API takes none), so
	// that the evidence shows what CXone was told.
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
	// back-off when CXone gave none (0). It returns the pause applied.
	Throttled(retryAfter time.Duration) time.Duration
	// OK reports a request CXone accepted, which ends the 429 back-off.
	OK()
}

// Kind says how the caller should treat a failure.
type Kind int

const (
	// Transient failures (5xx, timeouts, lost responses, unexpected answers) are retried with
	// back-off and spend an attempt.
	Transient Kind = iota
	// RateLimited (429) waits and retries without spending an attempt.
	RateLimited
	// Permanent failures are the item's own (CXone rejects this number): dead-letter it.
	Permanent
	// Config failures are the deployment's (credentials, scopes, list id): nothing an item can fix,
	// so items wait without spending attempts while an operator is told.
	Config
)

func (k Kind) String() string {
	switch k {
	case RateLimited:
		return "rate_limited"
	case Permanent:
		return "permanent"
	case Config:
		return "config"
	}
	return "transient"
}

// Error is a failed CXone call.
type Error struct {
	Kind       Kind
	Op         string        // "add", "upsert", "remove", "token", ...
	Status     int           // HTTP status; 0 when no answer came
	RetryAfter time.Duration // for RateLimited: the pause applied
	Msg        string        // short, log-safe: never a phone number or secret
	Err        error
	// Record is true for a per-record failure inside an answer CXone gave: CXone is up, so such a
	// failure is the record's own and spends an attempt even when nothing else was pushed.
	Record bool
}

// IsRecord reports whether err is a per-record failure in a 2xx answer.
func IsRecord(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Record
}

func (e *Error) Error() string {
	s := fmt.Sprintf("cxone %s: %s", e.Op, e.Kind)
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

// requestProblem reclassifies a batch of which CXone refused every number as a Config failure:
// when all of them fail, the request is at fault (an API version, a size limit), not the numbers,
// and dead-lettering the whole queue at full speed would be the worst answer.
func requestProblem(out []error) []error {
	if len(out) < 2 {
		return out
	}
	for _, err := range out {
		if KindOf(err) != Permanent {
			return out
		}
	}
	for i, err := range out {
		var e *Error
		if errors.As(err, &e) {
			c := *e
			c.Kind = Config
			c.Msg = "CXone refused every number of a batch, so the request is at fault; check the API version and limits: " + c.Msg
			out[i] = &c
		}
	}
	return out
}
