package consent

import (
	"cmp"
	"slices"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// Event is one request of a person about a number, as the decision reads it.
type Event struct {
	// Action is queue.Add for an opt-out (a revocation of consent), queue.Remove for a consent.
	Action     queue.Action `json:"action"`
	Scope      Scope        `json:"scope"`
	Policy     Decided      `json:"policy"`
	OccurredAt time.Time    `json:"occurredAt"`
	ReceivedAt time.Time    `json:"receivedAt"`
	ExpiresAt  time.Time    `json:"expiresAt,omitzero"` // an opt-out's end; zero: none
	// What identifies the request in the trail.
	EventID string `json:"eventId,omitempty"`
	Source  string `json:"source,omitempty"`
	Said    string `json:"said,omitempty"` // the reason given, or the words the person sent
}

// FromRecord is the request an audit record witnesses: an accepted event (received, or stale:
// older than what a destination had, yet still the person's word). ok is false for any other
// record. A record without a scope is of every channel, as its event was.
func FromRecord(r queue.AuditRecord) (Event, bool) {
	if r.Kind != queue.AuditReceived && r.Kind != queue.AuditStale || !r.Action.Valid() {
		return Event{}, false
	}
	c, err := ParseChannel(r.ConsentChannel)
	if err != nil {
		c = All // a record the store kept must not be dropped for a label: read it at its widest
	}
	return Event{Action: r.Action, Scope: Scope{Channel: c, Purpose: r.Purpose, Brand: r.Scope},
		Policy: ParseDecided(r.Policy), OccurredAt: r.OccurredAt, ReceivedAt: r.ReceivedAt,
		ExpiresAt: r.ExpiresAt, EventID: r.EventID, Source: r.Source, Said: r.Reason}, true
}

// Reasons a Decision gives.
const (
	// Not eligible:
	ReasonOptedOut  = "opted_out"  // an opt-out whose scope meets the query stands
	ReasonRevokeAll = "revoke_all" // an opt-out of another scope stands, and revoke-all extends it
	// Eligible:
	ReasonNoRecord   = "no_record"   // nothing was ever asked about the number
	ReasonNotCovered = "not_covered" // requests were recorded, none of a scope that meets the query
	ReasonConsent    = "consent"     // every opt-out meeting the query was lifted by a later consent
	ReasonExpired    = "expired"     // every opt-out meeting the query had ended
)

// Query is what a caller asks: may this number be contacted on Scope.Channel (All: on every one),
// for Scope.Purpose, by Scope.Brand (empty: not said), at At.
type Query struct {
	Scope Scope
	At    time.Time
}

// Decision answers a query. Event is the request that decided (nil when none did), Since when its
// standing began: the opt-out's occurrence, the consent's, or the end of an expired opt-out.
type Decision struct {
	Eligible bool      `json:"eligible"`
	Reason   string    `json:"reason"`
	Since    time.Time `json:"since,omitzero"`
	Event    *Event    `json:"event,omitempty"`
}

// Decide answers q from a number's requests (in any order). Requests that occurred after q.At do
// not count. An opt-out stands against q when it meets q (by its own scope, or, under the
// revoke-all policy it was received under, every voice and sms query), has not ended by q.At, and
// no later consent lifted it. A consent lifts an opt-out only if it occurred strictly after it and
// its scope includes the opt-out's whole scope (under revoke-all: everything): a START for texts
// never lifts an opt-out from calls, nor one received under revoke-all.
func Decide(events []Event, q Query) Decision {
	q.Scope = q.Scope.norm()
	if q.Scope.Channel != All {
		return decide(events, q)
	}
	// Every channel: eligible only if eligible on each; the earliest standing opt-out decides.
	var out Decision
	for i, c := range Channels {
		qc := q
		qc.Scope.Channel = c
		d := decide(events, qc)
		switch {
		case i == 0:
			out = d
		case !d.Eligible && (out.Eligible || d.Since.Before(out.Since)):
			out = d
		case d.Eligible && out.Eligible && d.Since.After(out.Since):
			out = d // the most recent change that made every channel eligible
		}
	}
	return out
}

// decide answers a query of one concrete channel.
func decide(events []Event, q Query) Decision {
	var standing, lifted, expired *Event
	var lifter *Event
	seen := false
	for i := range events {
		r := &events[i]
		if q.At.Before(r.OccurredAt) {
			continue
		}
		seen = true
		reach, _ := reaches(r, q.Scope)
		if r.Action != queue.Add || !reach {
			continue
		}
		if !r.ExpiresAt.IsZero() && !q.At.Before(r.ExpiresAt) {
			if expired == nil || r.ExpiresAt.After(expired.ExpiresAt) {
				expired = r
			}
			continue
		}
		if c := liftedBy(events, r, q.At); c != nil {
			if lifter == nil || later(c, lifter) {
				lifted, lifter = r, c
			}
			continue
		}
		if standing == nil || earlier(r, standing) {
			standing = r
		}
	}
	switch {
	case standing != nil:
		_, own := reaches(standing, q.Scope)
		reason := ReasonOptedOut
		if !own {
			reason = ReasonRevokeAll
		}
		return Decision{Reason: reason, Since: standing.OccurredAt, Event: clone(standing)}
	case lifted != nil:
		return Decision{Eligible: true, Reason: ReasonConsent, Since: lifter.OccurredAt, Event: clone(lifter)}
	case expired != nil:
		return Decision{Eligible: true, Reason: ReasonExpired, Since: expired.ExpiresAt, Event: clone(expired)}
	case seen:
		return Decision{Eligible: true, Reason: ReasonNotCovered}
	}
	return Decision{Eligible: true, Reason: ReasonNoRecord}
}

// reaches reports whether opt-out r reaches query scope q, and whether it does by its own scope
// (own) rather than only through the revoke-all policy.
func reaches(r *Event, q Scope) (reach, own bool) {
	own = r.Scope.Meets(q)
	return own || (r.Policy == RevokeAll && q.Channel.robo()), own
}

// effective is the scope a consent must include to lift opt-out r.
func effective(r *Event) Scope {
	if r.Policy == RevokeAll {
		return Everything
	}
	return r.Scope
}

// liftedBy is the latest consent that lifts opt-out r by at, or nil.
func liftedBy(events []Event, r *Event, at time.Time) *Event {
	need := effective(r)
	var best *Event
	for i := range events {
		c := &events[i]
		if c.Action != queue.Remove || !c.OccurredAt.After(r.OccurredAt) || at.Before(c.OccurredAt) ||
			!c.Scope.Includes(need) {
			continue
		}
		if best == nil || later(c, best) {
			best = c
		}
	}
	return best
}

// order is the trail's order: by occurrence, then receipt.
func order(a, b *Event) int {
	return cmp.Or(a.OccurredAt.Compare(b.OccurredAt), a.ReceivedAt.Compare(b.ReceivedAt))
}

func earlier(a, b *Event) bool { return order(a, b) < 0 }
func later(a, b *Event) bool   { return order(a, b) > 0 }

func clone(e *Event) *Event {
	c := *e
	return &c
}

// Sort puts events in the trail's order (by occurrence, then receipt), for display.
func Sort(events []Event) {
	slices.SortStableFunc(events, func(a, b Event) int { return order(&a, &b) })
}
