package pgq

import (
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// Schema 6 keeps a destination's newest confirmation of a number in the number's row of
// number_destinations, which already says what was confirmed and when (confirmed_*): the row adds
// the record's seq and the scope of the request pushed, and the record is stored once rather than
// also as a row of confirmation_log. The view confirmations shows both (docs/postgres.md).

// foldRec is the confirmation record a number_destinations row holds: its seq (0: none) and the
// scope it pushed. Its other fields are the row's confirmed_* columns.
type foldRec struct {
	seq                             int64
	scope, consent, purpose, policy string
}

// sameTime compares two times at the millisecond the store keeps.
func sameTime(a, b time.Time) bool {
	return a.IsZero() == b.IsZero() && ms(a).Equal(ms(b))
}

// holds reports whether r's confirmed_* columns say exactly what rec says.
func holds(r *queue.DestState, rec *queue.AuditRecord) bool {
	return r.ConfirmedAction == rec.Action && sameTime(r.ConfirmedAt, rec.At) &&
		sameTime(r.ConfirmedOccur, rec.OccurredAt) && sameTime(r.ConfirmedExpires, rec.ExpiresAt)
}

// foldConfirmations runs in flush once the records have their seqs. It marks the confirmation
// records that their destination rows hold (the newest of each row, when the row says what it
// says) and returns the records rows held before and no longer do (a newer confirmation, or a state
// set otherwise), to be written to confirmation_log as they were.
func (u *uow) foldConfirmations() []*record {
	newest := map[key]*record{}
	for _, rec := range u.recs {
		if rec.Kind != queue.AuditConfirmed || rec.dest == "" || rec.Detail != "" || rec.rej != nil {
			continue
		}
		k := key{rec.dest, rec.Number}
		r := u.dests[k]
		if r == nil || !holds(&r.DestState, &rec.AuditRecord) {
			continue
		}
		if p := newest[k]; p != nil {
			p.folded = false
		}
		rec.folded, newest[k] = true, rec
	}
	var spill []*record
	for k, r := range u.dests {
		rec := newest[k]
		switch {
		case rec != nil:
			if r.was.seq != 0 {
				spill = append(spill, r.spilled())
			}
			r.fold = foldRec{seq: rec.seq, scope: rec.Scope, consent: rec.ConsentChannel, purpose: rec.Purpose,
				policy: rec.Policy}
			r.dirty = true
		case r.was.seq != 0 && !sameConfirmed(&r.loaded, &r.DestState):
			spill = append(spill, r.spilled())
			r.fold = foldRec{}
		}
	}
	return spill
}

func sameConfirmed(a, b *queue.DestState) bool {
	return a.ConfirmedAction == b.ConfirmedAction && sameTime(a.ConfirmedAt, b.ConfirmedAt) &&
		sameTime(a.ConfirmedOccur, b.ConfirmedOccur) && sameTime(a.ConfirmedExpires, b.ConfirmedExpires)
}

// spilled is the record r held when loaded, as a row of confirmation_log.
func (r *destRow) spilled() *record {
	l := &r.loaded
	return &record{AuditRecord: queue.AuditRecord{Kind: queue.AuditConfirmed, At: l.ConfirmedAt, Number: r.number,
		Action: l.ConfirmedAction, OccurredAt: l.ConfirmedOccur, ExpiresAt: l.ConfirmedExpires, Scope: r.was.scope,
		ConsentChannel: r.was.consent, Purpose: r.was.purpose, Policy: r.was.policy}, dest: r.dest, seq: r.was.seq}
}
