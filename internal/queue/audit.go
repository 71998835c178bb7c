package queue

import (
	"context"
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
)

// AuditRecord is one append-only line of evidence about a number.
type AuditRecord struct {
	Kind       AuditKind `json:"kind"`
	Number     string    `json:"number"` // E.164, or a rejection key (RejectionKey)
	At         time.Time `json:"at"`     // when dncsync wrote the record
	Raw        string    `json:"raw,omitempty"`
	Action     Action    `json:"action,omitempty"`
	Source     string    `json:"source,omitempty"`
	Channel    string    `json:"channel,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	Scope      string    `json:"scope,omitempty"`
	EventID    string    `json:"eventId,omitempty"`
	Region     string    `json:"region,omitempty"`
	OccurredAt time.Time `json:"occurredAt,omitzero"`
	ReceivedAt time.Time `json:"receivedAt,omitzero"`
	ExpiresAt  time.Time `json:"expiresAt,omitzero"`
	Detail     string    `json:"detail,omitempty"` // rejection reason, CXone's answer, last error
}

// State is a number's standing, as /v1/numbers reports it.
type State string

const (
	StatePending  State = "pending"  // waiting for CXone
	StateSynced   State = "synced"   // on the CXone list
	StateRemoved  State = "removed"  // taken off the CXone list
	StateRejected State = "rejected" // only invalid input was ever seen
	StateDead     State = "dead"     // dead-lettered
)

// NumberState is what the store knows of one number beyond its trail.
type NumberState struct {
	Number           string    `json:"number"`
	State            State     `json:"state"`
	FirstRequestedAt time.Time `json:"firstRequestedAt,omitzero"` // first receipt ever: never reset
	LastEventAt      time.Time `json:"lastEventAt,omitzero"`
	// What CXone last confirmed: the action, the occurredAt of the event it carried, and when.
	ConfirmedAction Action    `json:"confirmedAction,omitempty"`
	ConfirmedOccur  time.Time `json:"confirmedOccurredAt,omitzero"`
	ConfirmedAt     time.Time `json:"confirmedAt,omitzero"`
	LastError       string    `json:"lastError,omitempty"`
}

// Evidence reads and trims the audit trail that the Queue methods write.
type Evidence interface {
	// Lookup returns a number's state and its trail, oldest first; found is false if never seen.
	Lookup(ctx context.Context, number string) (st NumberState, trail []AuditRecord, found bool, err error)
	// Export streams records written in [since, until) in the order written; zero bounds are open.
	Export(ctx context.Context, since, until time.Time, fn func(AuditRecord) error) error
	// TrimAudit removes records written before cutoff, but never the newest record of a number.
	TrimAudit(ctx context.Context, cutoff time.Time) (removed int, err error)
	// States calls fn with the state of every number seen (not rejection keys), in no set order.
	States(ctx context.Context, fn func(NumberState) error) error
}

// Store is a queue with its evidence: what both stores implement.
type Store interface {
	Queue
	Evidence
}

// RejectionKey is the key under which rejections of raw input are kept and looked up: its digits
// (so "(12) 3" and "123" meet), or the trimmed input when it has none.
func RejectionKey(raw string) string {
	var b strings.Builder
	for _, c := range raw {
		if c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	if b.Len() == 0 {
		return "rejected:" + strings.TrimSpace(raw)
	}
	return "rejected:" + b.String()
}
