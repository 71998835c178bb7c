// Package queue defines the durable, deduplicating, leased work queue that sits between intake and
// the pusher, and the conformance suite every store must pass (see queuetest).
//
// The model: one entry per phone number. An entry is ready (waiting for its due time), leased (a
// pusher claimed it and holds it until the lease deadline) or dead (dead-lettered with its last
// error). A repeat opt-out for a queued number never moves it back in line: the first receipt time
// is both its place in line and the start of the compliance clock.
package queue

import (
	"context"
	"errors"
	"time"
)

// Action is what an event asks CXone to do with a number.
type Action string

const (
	// Add puts a number on the do-not-call list (an opt-out).
	Add Action = "add"
	// Remove takes a number off the list (consent given again).
	Remove Action = "remove"
)

// Valid reports whether a is one of the known actions.
func (a Action) Valid() bool { return a == Add || a == Remove }

// Event is one accepted, normalized opt-out or opt-in as intake hands it to the store. Its fields,
// the Item's and the AuditRecord's carry their tags in the stores' encoding (codec.go): a new field
// is its tag here and its copy in merge.go (NewItem, Merge, Received), and nothing in the stores.
type Event struct {
	ID         string    `q:"1"` // idempotency key; empty: none
	Number     string    `q:"2"` // E.164
	Raw        string    `q:"3"` // the number as received
	Action     Action    `q:"4"`
	Source     string    `q:"5"`
	Channel    string    `q:"6"`
	Reason     string    `q:"7"`
	Scope      string    `q:"8"`
	OccurredAt time.Time `q:"9"`  // when the person asked
	ReceivedAt time.Time `q:"10"` // when dncsync received it
	ExpiresAt  time.Time `q:"11"` // zero: no end
	// Resync re-pushes a number CXone lost (reconcile): it is queued even though it does not win
	// over what CXone confirmed, since CXone no longer has it.
	Resync bool `q:"12"`
	// Only names the one destination to queue the event for (reconcile of that destination);
	// empty: every destination.
	Only string `q:"13"`
	// Lanes, when not nil, names the destinations the event is routed to by their scope filters
	// (consent.Route, decided in Go before the store's write): it is queued for those alone, and
	// for none when the list is empty (it is still recorded, as stale: no destination's list
	// changes). Nil: every destination. Routing at enqueue, not after a lane's merge, is what keeps
	// an opt-out that one destination must hold from being folded into a consent it never gets.
	// With Only, both must name a destination. Kept nowhere.
	Lanes []string `q:"-"`
	// Repeats counts further requests identical to this one that it stands for (an import's
	// repeated rows): they are recorded once, with this count in the event's audit record.
	Repeats int `q:"14"`

	// ConsentChannel is the channel the request is about (consent.Channel: voice, sms, email or
	// all; empty: all), Purpose what for (empty: any), and Policy the revoke-all policy in force
	// when it was received (consent.Decided: revoke_all or scoped). With Scope (the brand or
	// business unit; empty: any), they are what the eligibility decision reads, from the event's
	// audit record (Received). Their q tags are for the stores' one-value encoding.
	ConsentChannel string `q:"15"`
	Purpose        string `q:"16"`
	Policy         string `q:"17"`
}

// Item is the queue's entry for one number: the winning event's fields plus bookkeeping.
type Item struct {
	Number          string    `q:"2"`
	Action          Action    `q:"4"`
	Raw             string    `q:"3"`
	Source          string    `q:"5"`
	Channel         string    `q:"6"`
	Reason          string    `q:"7"`
	Scope           string    `q:"8"`
	OccurredAt      time.Time `q:"9"`  // of the event that decides Action
	FirstReceivedAt time.Time `q:"20"` // first receipt while queued: place in line, compliance clock
	LastReceivedAt  time.Time `q:"21"`
	ExpiresAt       time.Time `q:"11"`
	Events          int       `q:"22"` // events merged into this entry
	Attempts        int       `q:"23"` // failed pushes that counted
	LastError       string    `q:"24"`
	// LostLeases counts leases of this entry that ran out because the pusher holding them stopped
	// (a crash, a kill, a lost connection): not failures of the number, but a number that keeps
	// killing pushers is dead-lettered once they reach Recover's maxLost.
	LostLeases int `q:"25"`
	// Version changes whenever a merged event changes what must be pushed (action or expiry).
	// Ack compares it so that an event that arrived while the item was in flight is not lost.
	Version int64  `q:"26"`
	Lease   string `q:"27"` // token of the current claim; empty when not leased

	// The consent scope and policy of the event that decides Action (Event.ConsentChannel): what a
	// destination's scope filter will read.
	ConsentChannel string `q:"15"`
	Purpose        string `q:"16"`
	Policy         string `q:"17"`
}

// EnqueueStatus says what an Enqueue did with one event.
type EnqueueStatus string

const (
	Created   EnqueueStatus = "created"   // a new entry
	Merged    EnqueueStatus = "merged"    // folded into the number's existing entry
	Duplicate EnqueueStatus = "duplicate" // its event id was seen before: nothing changed
	// Stale: older than what CXone already confirmed for the number; kept in the trail only.
	Stale EnqueueStatus = "stale"
)

// Rejection is input that was not acted on, kept as evidence: input that could not be accepted
// (Kind AuditRejected, the default), or words that ask for nothing (AuditIgnored, e.g. an SMS reply
// that is not an opt-out keyword). Stores keep it bounded (Bound).
type Rejection struct {
	Kind AuditKind `q:"1"` // AuditRejected or AuditIgnored; empty: AuditRejected
	// Number is the E.164 number when the number itself was valid (the event was refused for
	// another field, or ignored): the record joins that number's trail without changing its state.
	// Empty: the record is kept under the raw input's RejectionKey.
	Number     string    `q:"2"`
	Raw        string    `q:"3"` // the phone number field as received
	Body       string    `q:"4"` // the event as received (JSON): its first MaxBodyLen bytes once bounded
	Said       string    `q:"5"` // what the person said, when it is not the number (an SMS reply's text)
	Reason     string    `q:"6"` // why: a stable code such as too_short, expires_in_past or sms_no_keyword
	Region     string    `q:"7"`
	Source     string    `q:"8"`
	Channel    string    `q:"9"`
	EventID    string    `q:"10"`
	ReceivedAt time.Time `q:"11"`
	// Key is where the record is kept and looked up; Bound sets it (Number, or RejectionKey(Raw)
	// of the raw input before it was cut).
	Key string `q:"12"`
	// Hash is the hex SHA-256 of the text as received (Body, or Raw when there is no body) and
	// Bytes its size: what proves the whole without keeping it. Bound sets both.
	Hash  string `q:"13"`
	Bytes int    `q:"14"`
}

// Stats is a snapshot of the queue for metrics and readiness.
type Stats struct {
	Ready          int64
	Leased         int64
	Dead           int64
	OldestReceived time.Time // FirstReceivedAt of the oldest ready or leased entry; zero if empty
}

// Depth is the number of entries not yet confirmed by CXone and not dead.
func (s Stats) Depth() int64 { return s.Ready + s.Leased }

// Queue is the store contract. Every method that returns nil has made its change durable.
type Queue interface {
	// Enqueue records events atomically, each with its AuditReceived (or AuditStale) record: all or
	// none. Results are in the order of events. An event that loses to what CXone already confirmed
	// for the number (queue.Wins) creates no entry: Stale.
	Enqueue(ctx context.Context, events []Event) ([]EnqueueStatus, error)
	// Reject records input that was not acted on (rejected or ignored), bounded (Rejection.Bound),
	// all in one write. Rejected input is held to RejectionLimits: a rejection recorded before
	// (Rejection.Identity) is not recorded again, none is written while the store is crowded, and
	// past the cap the oldest are shed; each is counted (RejectionStats). Ignored words are kept as
	// evidence of what a person said, outside those limits.
	Reject(ctx context.Context, rs ...Rejection) error
	// Rejections returns up to limit recorded rejections (not ignored words), newest first.
	Rejections(ctx context.Context, limit int) ([]Rejection, error)
	// Claim leases up to max ready entries due at or before now, oldest first, until now+lease.
	Claim(ctx context.Context, max int, lease time.Duration) ([]Item, error)
	// Ack removes entries CXone confirmed and records the confirmation (the number's state and an
	// AuditConfirmed record carrying the pushed action, and the expiry CXone was told: each item's
	// ExpiresAt as pushed, which may differ from the entry's when the pusher applied a default).
	// An entry whose lease is no longer the claimed one is left alone; one whose Version changed
	// since the claim goes back to ready at its old place in line.
	Ack(ctx context.Context, items []Item) error
	// Extend moves the lease deadline of entries still held under their claim's token to now+lease:
	// the heartbeat of a push in flight. It returns how many were still held; the others ran out and
	// were recovered, and their answers will be ignored.
	Extend(ctx context.Context, items []Item, lease time.Duration) (int, error)
	// Retry returns a leased entry to ready at now+delay after a failure that is the entry's own: it
	// spends an attempt, records errMsg and an AuditFailed record.
	Retry(ctx context.Context, item Item, delay time.Duration, errMsg string) error
	// Snooze returns a leased entry to ready at now+delay without spending an attempt: a wait that
	// is not the entry's fault (a 429, an outage, a configuration failure, a release at shutdown).
	// It records errMsg and an AuditFailed record as Retry does.
	Snooze(ctx context.Context, item Item, delay time.Duration, errMsg string) error
	// DeadLetter moves a leased entry to the dead-letter set with its last error (AuditDead).
	DeadLetter(ctx context.Context, item Item, errMsg string) error
	// Recover returns entries whose lease expired (their pusher stopped) to ready at once, at their
	// place in line, without spending an attempt or applying a back-off: a lost lease is not the
	// number's failure. Each one counts in LostLeases, with an AuditFailed record; an entry whose
	// LostLeases reach maxLost is dead-lettered (AuditDead), so that a number that kills every pusher
	// holding it ends dead, not in a loop.
	Recover(ctx context.Context, maxLost int) (int, error)
	// Redrive returns up to max dead-lettered entries to ready with fresh attempts (an operator's
	// decision after fixing the cause), with an AuditRequeued record each; it returns how many.
	Redrive(ctx context.Context, max int) (int, error)
	// NextDue is the due time of the earliest ready entry; ok false when nothing is ready.
	NextDue(ctx context.Context) (due time.Time, ok bool, err error)
	// Stats reports counts for metrics.
	Stats(ctx context.Context) (Stats, error)
	// Ping checks that the store can be reached.
	Ping(ctx context.Context) error
	// Close releases the store.
	Close() error
}

// ErrUnavailable wraps store failures that a caller should answer with "try again later".
var ErrUnavailable = errors.New("queue store unavailable")
