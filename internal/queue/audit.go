package queue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"
)

// AuditKind names what an audit record witnesses.
type AuditKind string

const (
	AuditReceived  AuditKind = "received"  // an accepted event, as received
	AuditStale     AuditKind = "stale"     // accepted, but older than what CXone already has: no change
	AuditRejected  AuditKind = "rejected"  // input that was not a valid number
	AuditConfirmed AuditKind = "confirmed" // CXone confirmed the push
	AuditFailed    AuditKind = "failed"    // a push attempt failed; Detail has CXone's answer
	AuditDead      AuditKind = "dead"      // dead-lettered; Detail has the last error
	AuditRequeued  AuditKind = "requeued"  // a dead letter sent back to the queue by an operator
	// AuditIgnored is something a person said that asks for nothing dncsync acts on (an SMS reply
	// that is not an opt-out keyword): kept so that a person's words are never lost.
	AuditIgnored AuditKind = "ignored"
)

// AuditRecord is one append-only line of evidence about a number.
type AuditRecord struct {
	Kind       AuditKind `q:"1" json:"kind"`
	Number     string    `q:"2" json:"number"` // E.164, or a rejection key (RejectionKey)
	At         time.Time `q:"3" json:"at"`     // when dncsync wrote the record
	Raw        string    `q:"4" json:"raw,omitempty"`
	Action     Action    `q:"5" json:"action,omitempty"`
	Source     string    `q:"6" json:"source,omitempty"`
	Channel    string    `q:"7" json:"channel,omitempty"`
	Reason     string    `q:"8" json:"reason,omitempty"`
	Scope      string    `q:"9" json:"scope,omitempty"`
	EventID    string    `q:"10" json:"eventId,omitempty"`
	Region     string    `q:"11" json:"region,omitempty"`
	OccurredAt time.Time `q:"12" json:"occurredAt,omitzero"`
	ReceivedAt time.Time `q:"13" json:"receivedAt,omitzero"`
	ExpiresAt  time.Time `q:"14" json:"expiresAt,omitzero"`
	Detail     string    `q:"15" json:"detail,omitempty"` // rejection reason, CXone's answer, last error
	// Destination names the destination a push record (confirmed, failed, dead, requeued, dropped)
	// is about, when more than one is configured; empty: the only one.
	Destination string `q:"16" json:"destination,omitempty"`
	// Repeats counts identical requests the received (or stale) event stood for beyond itself
	// (Event.Repeats).
	Repeats int `q:"17" json:"repeats,omitempty"`

	// ConsentChannel, Purpose and Policy are an accepted event's (Event): the scope it was about
	// and the revoke-all policy that decided its reach. Empty in records of before they existed:
	// read as every channel under revoke-all (consent.FromRecord).
	ConsentChannel string `q:"18" json:"consentChannel,omitempty"`
	Purpose        string `q:"19" json:"purpose,omitempty"`
	Policy         string `q:"20" json:"policy,omitempty"`
}

// State is a number's standing, as /v1/numbers reports it.
type State string

const (
	StatePending  State = "pending"  // waiting for CXone
	StateSynced   State = "synced"   // on the CXone list
	StateRemoved  State = "removed"  // taken off the CXone list
	StateRejected State = "rejected" // only invalid input was ever seen
	StateDead     State = "dead"     // dead-lettered
	// StateExpired: CXone was told the entry ends at ConfirmedExpiresAt, and that time has passed.
	StateExpired State = "expired"
	// StateIgnored: only replies that asked for nothing were seen (AuditIgnored).
	StateIgnored State = "ignored"
)

// NumberState is what the store knows of one number beyond its trail.
type NumberState struct {
	Number           string    `q:"1" json:"number"`
	State            State     `q:"2" json:"state"`
	FirstRequestedAt time.Time `q:"3" json:"firstRequestedAt,omitzero"` // first receipt ever: never reset
	LastEventAt      time.Time `q:"4" json:"lastEventAt,omitzero"`
	// What CXone last confirmed: the action, the occurredAt of the event it carried, and when.
	ConfirmedAction Action    `q:"5" json:"confirmedAction,omitempty"`
	ConfirmedOccur  time.Time `q:"6" json:"confirmedOccurredAt,omitzero"`
	ConfirmedAt     time.Time `q:"7" json:"confirmedAt,omitzero"`
	// ConfirmedExpires is the expiry CXone was last told for a confirmed add; zero: none.
	ConfirmedExpires time.Time `q:"8" json:"confirmedExpiresAt,omitzero"`
	LastError        string    `q:"9" json:"lastError,omitempty"`
	// Destinations is each destination's own standing, when more than one is configured; State is
	// then the worst of theirs (Worst), and the Confirmed fields and LastError are the primary's.
	Destinations map[string]DestState `q:"-" json:"destinations,omitempty"`
}

// At is s as it stands at now: a synced add whose confirmed expiry has passed is expired, since the
// destination no longer blocks the number. Stores keep "synced"; readers call At.
func (s NumberState) At(now time.Time) NumberState {
	if s.State == StateSynced && s.ConfirmedAction == Add && !s.ConfirmedExpires.IsZero() &&
		!s.ConfirmedExpires.After(now) {
		s.State = StateExpired
	}
	if len(s.Destinations) > 0 {
		ds := make(map[string]DestState, len(s.Destinations))
		states := make([]State, 0, len(ds))
		for n, d := range s.Destinations {
			d = d.At(now)
			ds[n] = d
			states = append(states, d.State)
		}
		s.Destinations, s.State = ds, Worst(states...)
	}
	return s
}

// Page selects part of a number's trail: the Limit newest records written before the record that
// Before names (a cursor from History.Older; empty: the newest), returned oldest first.
type Page struct {
	Limit  int
	Before string
}

// Page limits: a lookup returns at most MaxPageLimit records, DefaultPageLimit when none is asked.
const (
	DefaultPageLimit = 200
	MaxPageLimit     = 1000
)

// Size is the number of records to read: Limit within (0, MaxPageLimit], DefaultPageLimit if unset.
func (p Page) Size() int {
	switch {
	case p.Limit <= 0:
		return DefaultPageLimit
	case p.Limit > MaxPageLimit:
		return MaxPageLimit
	}
	return p.Limit
}

// History is what a lookup found: the number's state and one page of its trail.
type History struct {
	State   NumberState
	Records []AuditRecord // oldest first
	// Older is the cursor of the page before this one (pass it as Page.Before); empty when this
	// page starts with the number's oldest record.
	Older string
}

// ErrBadCursor is returned for a Page.Before that names no record of the number (a made-up cursor,
// or one whose record was trimmed past retention).
var ErrBadCursor = errors.New("history cursor names no record of this number")

// Evidence reads and trims the audit trail that the Queue methods write.
type Evidence interface {
	// Lookup returns a number's state (as of now: NumberState.At) and one page of its trail;
	// found is false if never seen.
	Lookup(ctx context.Context, number string, page Page) (h History, found bool, err error)
	// Histories returns, for each of numbers the store knows, what Lookup gives page after page in
	// one read of the store: its state and every record, oldest first (Older empty). A number never
	// seen is absent. It is what a batch of eligibility checks reads.
	Histories(ctx context.Context, numbers []string) (map[string]History, error)
	// Export streams records written in [since, until) in the order written; zero bounds are open.
	Export(ctx context.Context, since, until time.Time, fn func(AuditRecord) error) error
	// TrimAudit removes records written before cutoff, but never the newest record of a number.
	TrimAudit(ctx context.Context, cutoff time.Time) (removed int, err error)
	// States calls fn with the state (as of now) of every number seen (not rejection keys), in no
	// set order.
	States(ctx context.Context, fn func(NumberState) error) error
}

// Store is what every store implements: the queue, its evidence, the operator's tools, the bounds
// of rejections, one queue per destination, the destinations the service runs with, and the
// status page's sessions. Consumers declare the few methods they call (intake.Sink, pusher.Queue,
// reconcile.Store, console.Store, ops.Store); nothing asserts a capability every store has.
type Store interface {
	Queue
	Evidence
	Operations
	RejectionKeeper
	Router
	Recorder
	Sessions
}

// RejectionKey is the key under which rejections of raw input are kept and looked up: its digits
// (so "(12) 3" and "123" meet), or the trimmed input when it has none. A long key is replaced by a
// digest of it, so that a sender posting huge input cannot make huge keys; a lookup of the same
// input computes the same digest. An empty input has no key (""): nothing can look it up.
func RejectionKey(raw string) string {
	var b strings.Builder
	for _, c := range raw {
		if c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	k := b.String()
	if k == "" {
		k = strings.TrimSpace(raw)
	}
	switch {
	case k == "":
		return ""
	case len(k) > maxKeyLen:
		sum := sha256.Sum256([]byte(k))
		return "rejected:sha256:" + hex.EncodeToString(sum[:16])
	}
	return "rejected:" + k
}
