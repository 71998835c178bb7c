package queue

import "time"

// What `dncsync migrate-store` moves from one store to another beyond what every store already
// reads out (Export, States, Rejections): the queue's entries, with where each one is, and the event
// ids still remembered. Stores that can be moved from implement Entries and EventIDs; the store
// moved to writes them through its own write paths.

// EntryStatus is where an entry is in its destination's queue.
type EntryStatus string

const (
	EntryReady  EntryStatus = "ready"
	EntryLeased EntryStatus = "leased"
	EntryDead   EntryStatus = "dead"
)

// Entry is one destination's queue entry for a number, as a store holds it.
type Entry struct {
	Dest   string // the destination's name
	Item   Item
	Status EntryStatus
	At     time.Time // ready: due; leased: the lease's deadline; dead: when it died
}

// EventID is an event id a store remembers for a number until Expires (idempotency).
type EventID struct {
	ID, Number string
	Expires    time.Time
}

// Moved is one record of the audit trail as it is moved, with the rejection it witnesses when the
// store kept one (its body, hash and size, which the record does not carry).
type Moved struct {
	Record    AuditRecord
	Rejection *Rejection
}

// Restored is a destination's state as a store keeps it when the state is restored beside its queue:
// pending (and dead, when deadFromQueue: the store reads it from the dead entry) is what the queue
// entry says, so the state keeps what was confirmed; expired is read from the confirmed expiry.
// One rule for every store's restore.
func Restored(d DestState, deadFromQueue bool) DestState {
	switch {
	case d.State == StateExpired:
		d.State = StateSynced
	case d.State == StatePending, deadFromQueue && d.State == StateDead:
		switch d.ConfirmedAction {
		case Add:
			d.State = StateSynced
		case Remove:
			d.State = StateRemoved
		default:
			d.State = ""
		}
	}
	return d
}
