package pgq

import (
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/dncsync/dncsync/internal/queue"
)

// The writes of a flush are set-based: one statement per table, its rows as arrays (unnest), not
// one statement per row. A group commit of 2,000 events is then a dozen statements, and PostgreSQL
// plans each once.

// ts is t as an array element: NULL for the zero time.
func ts(t time.Time) pgtype.Timestamptz {
	if t.IsZero() {
		return pgtype.Timestamptz{}
	}
	return pgtype.Timestamptz{Time: ms(t), Valid: true}
}

// numberRows collects the numbers rows to write.
type numberRows struct {
	number, state []string
	first, last   []pgtype.Timestamptz
	newest        []pgtype.Int8
	gone          []string
}

func (w *numberRows) add(r *numRow) {
	w.number, w.state = append(w.number, r.number), append(w.state, string(r.state))
	w.first, w.last = append(w.first, ts(r.first)), append(w.last, ts(r.last))
	w.newest = append(w.newest, pgtype.Int8{Int64: r.newest, Valid: r.newest != 0})
}

func (w *numberRows) queue(b *pgx.Batch) {
	if len(w.gone) > 0 {
		b.Queue(`DELETE FROM numbers WHERE number = ANY($1)`, w.gone)
	}
	if len(w.number) > 0 {
		b.Queue(`INSERT INTO numbers (number, state, first_requested_at, last_event_at, newest_seq)
			SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::bigint[])
			ON CONFLICT (number) DO UPDATE SET state = EXCLUDED.state,
			first_requested_at = EXCLUDED.first_requested_at, last_event_at = EXCLUDED.last_event_at,
			newest_seq = EXCLUDED.newest_seq`, w.number, w.state, w.first, w.last, w.newest)
	}
}

// destRows collects the number_destinations rows to write: new ones (inserted) and stored ones
// (updated). The table has no unique key (schema 8): a row is new when load, holding the number's
// lock, read none, and no other writer can add one before this transaction commits.
type destRows struct {
	ins, upd destCols
}

type destCols struct {
	number, dest, state, action, lastError []string
	occurred, at, expires                  []pgtype.Timestamptz
	seq                                    []pgtype.Int8
	scope, consent, purpose, policy        []string
}

func (w *destRows) add(r *destRow) {
	c := &w.ins
	if r.stored {
		c = &w.upd
	}
	c.number, c.dest, c.state = append(c.number, r.number), append(c.dest, r.dest), append(c.state, string(r.State))
	c.action, c.lastError = append(c.action, string(r.ConfirmedAction)), append(c.lastError, esc(r.LastError))
	c.occurred, c.at = append(c.occurred, ts(r.ConfirmedOccur)), append(c.at, ts(r.ConfirmedAt))
	c.expires = append(c.expires, ts(r.ConfirmedExpires))
	f := &r.fold
	c.seq = append(c.seq, pgtype.Int8{Int64: f.seq, Valid: f.seq != 0})
	c.scope, c.consent = append(c.scope, esc(f.scope)), append(c.consent, esc(f.consent))
	c.purpose, c.policy = append(c.purpose, esc(f.purpose)), append(c.policy, esc(f.policy))
}

// destUnnest is the rows of a destCols, NULL where empty: the action, the last error (schema 8) and
// the folded confirmation's scope (schema 6, as confirmation_log's).
const destUnnest = `SELECT n, d, s, nullif(a, '') AS a, o, c, e, nullif(l, '') AS l, q, nullif(sc, '') AS sc,
		nullif(cc, '') AS cc, nullif(pu, '') AS pu, nullif(po, '') AS po
	  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[],
		$7::timestamptz[], $8::text[], $9::bigint[], $10::text[], $11::text[], $12::text[], $13::text[])
		AS u(n, d, s, a, o, c, e, l, q, sc, cc, pu, po)`

func (c *destCols) args() []any {
	return []any{c.number, c.dest, c.state, c.action, c.occurred, c.at, c.expires, c.lastError, c.seq, c.scope,
		c.consent, c.purpose, c.policy}
}

func (w *destRows) queue(b *pgx.Batch) {
	if len(w.upd.number) > 0 {
		b.Queue(`UPDATE number_destinations nd SET state = u.s, confirmed_action = u.a, confirmed_occurred_at = u.o,
			confirmed_at = u.c, confirmed_expires_at = u.e, last_error = u.l, confirmed_seq = u.q,
			confirmed_scope = u.sc, confirmed_consent_channel = u.cc, confirmed_purpose = u.pu, confirmed_policy = u.po
			FROM (`+destUnnest+`) u WHERE nd.number = u.n AND nd.destination = u.d`, w.upd.args()...)
	}
	if len(w.ins.number) > 0 {
		b.Queue(`INSERT INTO number_destinations (number, destination, state, confirmed_action, confirmed_occurred_at,
			confirmed_at, confirmed_expires_at, last_error, confirmed_seq, confirmed_scope, confirmed_consent_channel,
			confirmed_purpose, confirmed_policy) `+destUnnest, w.ins.args()...)
	}
}

// queueUpdate is what an upsert of a queue row sets: every column but the key.
const queueUpdate = `status = EXCLUDED.status,
	at = EXCLUDED.at, action = EXCLUDED.action, raw = EXCLUDED.raw, source = EXCLUDED.source,
	channel = EXCLUDED.channel, reason = EXCLUDED.reason, scope = EXCLUDED.scope,
	occurred_at = EXCLUDED.occurred_at, first_received_at = EXCLUDED.first_received_at,
	last_received_at = EXCLUDED.last_received_at, expires_at = EXCLUDED.expires_at, events = EXCLUDED.events,
	attempts = EXCLUDED.attempts, lost_leases = EXCLUDED.lost_leases, last_error = EXCLUDED.last_error,
	version = EXCLUDED.version, lease = EXCLUDED.lease, consent_channel = EXCLUDED.consent_channel,
	purpose = EXCLUDED.purpose, policy = EXCLUDED.policy`

// itemRows collects the queue rows to write and remove.
type itemRows struct {
	dest, number, status, action, raw, source, channel, reason, scope, lastError, lease []string
	consent, purpose, policy                                                            []string
	at, occurred, first, last                                                           []time.Time
	expires                                                                             []pgtype.Timestamptz
	events, attempts, lost                                                              []int32
	version                                                                             []int64
	goneDest, goneNumber                                                                []string
}

func (w *itemRows) add(r *itemRow) {
	it := &r.item
	w.dest, w.number, w.status = append(w.dest, r.dest), append(w.number, it.Number), append(w.status, r.status)
	w.at, w.action = append(w.at, ms(r.at)), append(w.action, string(it.Action))
	w.raw, w.source, w.channel = append(w.raw, esc(it.Raw)), append(w.source, esc(it.Source)), append(w.channel, esc(it.Channel))
	w.reason, w.scope = append(w.reason, esc(it.Reason)), append(w.scope, esc(it.Scope))
	w.occurred, w.first = append(w.occurred, ms(it.OccurredAt)), append(w.first, ms(it.FirstReceivedAt))
	w.last, w.expires = append(w.last, ms(it.LastReceivedAt)), append(w.expires, ts(it.ExpiresAt))
	w.events, w.attempts = append(w.events, int32(it.Events)), append(w.attempts, int32(it.Attempts))
	w.lost, w.lastError = append(w.lost, int32(it.LostLeases)), append(w.lastError, esc(it.LastError))
	w.version, w.lease = append(w.version, it.Version), append(w.lease, it.Lease)
	w.consent, w.purpose = append(w.consent, esc(it.ConsentChannel)), append(w.purpose, esc(it.Purpose))
	w.policy = append(w.policy, esc(it.Policy))
}

func (w *itemRows) queue(b *pgx.Batch) {
	if len(w.goneDest) > 0 {
		b.Queue(`DELETE FROM queue q USING unnest($1::text[], $2::text[]) AS g(d, n)
			WHERE q.destination = g.d AND q.number = g.n`, w.goneDest, w.goneNumber)
	}
	if len(w.dest) == 0 {
		return
	}
	b.Queue(`INSERT INTO queue (`+itemCols+`)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::text[],
			$8::text[], $9::text[], $10::text[], $11::timestamptz[], $12::timestamptz[], $13::timestamptz[],
			$14::timestamptz[], $15::int[], $16::int[], $17::int[], $18::text[], $19::bigint[], $20::text[], $21::text[],
			$22::text[], $23::text[])
		ON CONFLICT (destination, number) DO UPDATE SET `+queueUpdate,
		w.dest, w.number, w.status, w.at, w.action, w.raw, w.source, w.channel, w.reason, w.scope, w.occurred, w.first,
		w.last, w.expires, w.events, w.attempts, w.lost, w.lastError, w.version, w.lease, w.consent, w.purpose, w.policy)
}

// recordRows collects the events and confirmations to insert (rejections, rare, go one by one).
type recordRows struct {
	eSeq                                                                   []int64
	eAt                                                                    []time.Time
	eNumber, eKind, eAction, eRaw, eSource, eChannel, eReason, eScope, eID []string // eKind, eAction: codes (codes.go)
	eConsent, ePurpose, ePolicy                                            []string
	eOccurred, eReceived, eExpires                                         []pgtype.Timestamptz
	eRepeats                                                               []int32

	cSeq                                    []int64
	cAt                                     []time.Time
	cNumber, cDest, cKind, cAction, cDetail []string
	cScope, cConsent, cPurpose, cPolicy     []string
	cOccurred, cExpires                     []pgtype.Timestamptz
}

func (w *recordRows) add(b *pgx.Batch, rec *record) {
	r := &rec.AuditRecord
	switch {
	case rec.rej != nil:
		queueRecord(b, rec)
	case rec.folded: // its destination's row holds it (fold.go)
	case r.Kind == queue.AuditReceived || r.Kind == queue.AuditStale:
		w.eSeq, w.eAt, w.eNumber = append(w.eSeq, rec.seq), append(w.eAt, r.At), append(w.eNumber, r.Number)
		w.eKind, w.eAction = append(w.eKind, kindCode(r.Kind)), append(w.eAction, actionCode(r.Action))
		w.eRaw, w.eSource, w.eChannel = append(w.eRaw, esc(r.Raw)), append(w.eSource, esc(r.Source)), append(w.eChannel, esc(r.Channel))
		w.eReason, w.eScope, w.eID = append(w.eReason, esc(r.Reason)), append(w.eScope, esc(r.Scope)), append(w.eID, esc(r.EventID))
		w.eOccurred, w.eReceived = append(w.eOccurred, ts(r.OccurredAt)), append(w.eReceived, ts(r.ReceivedAt))
		w.eExpires, w.eRepeats = append(w.eExpires, ts(r.ExpiresAt)), append(w.eRepeats, int32(r.Repeats))
		w.eConsent, w.ePurpose = append(w.eConsent, esc(r.ConsentChannel)), append(w.ePurpose, esc(r.Purpose))
		w.ePolicy = append(w.ePolicy, esc(r.Policy))
	default:
		w.cSeq, w.cAt, w.cNumber = append(w.cSeq, rec.seq), append(w.cAt, r.At), append(w.cNumber, r.Number)
		w.cDest, w.cKind, w.cAction = append(w.cDest, rec.dest), append(w.cKind, string(r.Kind)), append(w.cAction, string(r.Action))
		w.cOccurred, w.cExpires = append(w.cOccurred, ts(r.OccurredAt)), append(w.cExpires, ts(r.ExpiresAt))
		w.cDetail = append(w.cDetail, esc(r.Detail))
		w.cScope, w.cConsent = append(w.cScope, esc(r.Scope)), append(w.cConsent, esc(r.ConsentChannel))
		w.cPurpose, w.cPolicy = append(w.cPurpose, esc(r.Purpose)), append(w.cPolicy, esc(r.Policy))
	}
}

func (w *recordRows) queue(b *pgx.Batch) {
	if len(w.eSeq) > 0 {
		b.Queue(`INSERT INTO events (seq, at, number, kind, action, raw, source, channel, reason, scope, event_id,
			occurred_at, received_at, expires_at, repeats, consent_channel, purpose, policy)
			SELECT s, a, n, k::"char", ac::"char", r, so, ch, re, sc, id, o, rc, e, rp, cc, pu, po
			  FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[],
				$7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::timestamptz[], $13::timestamptz[],
				$14::timestamptz[], $15::int[], $16::text[], $17::text[], $18::text[])
				AS u(s, a, n, k, ac, r, so, ch, re, sc, id, o, rc, e, rp, cc, pu, po)`,
			w.eSeq, w.eAt, w.eNumber, w.eKind, w.eAction, w.eRaw, w.eSource, w.eChannel, w.eReason, w.eScope, w.eID,
			w.eOccurred, w.eReceived, w.eExpires, w.eRepeats, w.eConsent, w.ePurpose, w.ePolicy)
	}
	if len(w.cSeq) > 0 {
		// The scope columns are NULL when empty (schema 5): most pushes are of all-scope requests.
		b.Queue(`INSERT INTO confirmation_log (seq, at, number, destination, kind, action, occurred_at, expires_at, detail,
				scope, consent_channel, purpose, policy)
			SELECT s, a, n, d, k, ac, o, e, dt, nullif(sc, ''), nullif(cc, ''), nullif(pu, ''), nullif(po, '')
			  FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[],
				$7::timestamptz[], $8::timestamptz[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[])
				AS c(s, a, n, d, k, ac, o, e, dt, sc, cc, pu, po)`,
			w.cSeq, w.cAt, w.cNumber, w.cDest, w.cKind, w.cAction, w.cOccurred, w.cExpires, w.cDetail,
			w.cScope, w.cConsent, w.cPurpose, w.cPolicy)
	}
}

// eventIDRows collects the event ids to remember.
type eventIDRows struct {
	id, number []string
	expires    []time.Time
}

func (w *eventIDRows) queue(b *pgx.Batch) {
	if len(w.id) == 0 {
		return
	}
	b.Queue(`INSERT INTO event_ids (event_id, number, expires_at)
		SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[])
		ON CONFLICT (event_id, number) DO UPDATE SET expires_at = EXCLUDED.expires_at`, w.id, w.number, w.expires)
}
