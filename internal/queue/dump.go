package queue

import (
	"strconv"
	"time"
)

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
	// Seq is how many records identical to this one (by RestoreKey) the move read before it. A
	// target holding more than Seq of them has this one already; one holding Seq or fewer does not,
	// even when the earlier ones were written by an earlier batch of the same move.
	Seq int
}

// RestoreKey is what tells two records apart when a move restores them: two records alike in every
// part of it (two identical junk posts in the same millisecond) are told apart by Moved.Seq.
func RestoreKey(r *AuditRecord) string {
	return string(r.Kind) + "\x00" + strconv.FormatInt(r.At.UnixMilli(), 10) + "\x00" + r.Number + "\x00" +
		r.Destination + "\x00" + string(r.Action) + "\x00" + r.EventID + "\x00" + r.Detail
}

// Present reports whether a target that holds have[k] records alike to m under key k (counted
// before the batch, plus those the batch wrote) holds m already. When it does not, it counts m as
// written, so the next alike record of the batch is judged against it.
func (m *Moved) Present(have map[string]int, k string) bool {
	if have[k] > m.Seq {
		return true
	}
	have[k]++
	return false
}

// Sequencer numbers alike records as a move reads them in time order (Moved.Seq). Alike records
// share their millisecond, so it forgets what it has seen whenever the millisecond changes.
type Sequencer struct {
	at   int64
	seen map[string]int
}

// Next returns r's Seq.
func (q *Sequencer) Next(r *AuditRecord) int {
	if at := r.At.UnixMilli(); q.seen == nil || at != q.at {
		q.at, q.seen = at, map[string]int{}
	}
	k := RestoreKey(r)
	n := q.seen[k]
	q.seen[k] = n + 1
	return n
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
