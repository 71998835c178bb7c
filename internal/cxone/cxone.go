// Package cxone talks to NICE CXone. One Client per API profile (v2: the tutorial's Outbound DNC
// contract; admin: the real Admin API's DNC groups), behind one small interface the pusher uses.
// Every API request goes through a Pacer so that the whole process stays under the organization's
// rate limit and pauses together on a 429.
package cxone

import "github.com/dncsync/dncsync/internal/destination"

// The pusher's interface and errors live in the destination package; these names keep the CXone
// code and its callers reading as they did.
type (
	Contact = destination.Contact
	Client  = destination.Client
	Pacer   = destination.Pacer
	Kind    = destination.Kind
	Error   = destination.Error
)

// AnswerTimer is a Pacer that also learns how long answers take: Answered is called with the time
// a request was let go, once its answer arrived. A slow answer may mean a late arrival, which
// would make the next request look early to a limit of one at a time.
type AnswerTimer = destination.AnswerTimer

const (
	Transient   = destination.Transient
	RateLimited = destination.RateLimited
	Permanent   = destination.Permanent
	Config      = destination.Config
	Refused     = destination.Refused
)

// IsRecord reports whether err is a per-record failure in a 2xx answer.
func IsRecord(err error) bool { return destination.IsRecord(err) }

// KindOf classifies any error; errors that are not *Error are transient.
func KindOf(err error) Kind { return destination.KindOf(err) }
