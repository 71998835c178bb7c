package pgq

import (
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dncsync/dncsync/internal/queue"
)

// A uow (unit of work) is one transaction's view of the numbers it touches: their rows locked and
// loaded (load), changed in Go by the same rules as the embedded store, and written back with the
// audit records that witness the change (flush).

type numRow struct {
	number string
	state  queue.State
	first  time.Time
	last   time.Time
	newest int64 // seq of its newest record; 0: none
	dirty  bool
	gone   bool // deleted (a rejection key with nothing left)
	// created: the row was made by load to lock a number not seen before; flush removes it again
	// when nothing was written to it (an operator naming a number the store does not know).
	created bool
}

type destRow struct {
	number, dest string
	queue.DestState
	stored, dirty bool
	fold, was     foldRec         // the confirmation record the row holds, and held when loaded (fold.go)
	loaded        queue.DestState // as loaded
}

type itemRow struct {
	dest   string
	item   queue.Item
	status string // ready, leased, dead
	at     time.Time
	stored bool // in the table
	dirty  bool
	gone   bool
}

type key struct{ dest, number string }

// record is an audit record to write, with what only a rejection has.
type record struct {
	queue.AuditRecord
	dest string // the destination's name, for a push record
	rej  *queue.Rejection
	id   string // a rejection's identity; "": none
	seq  int64
	// folded: its destination's row holds it (fold.go), so it is not written to confirmation_log.
	folded bool
}

type uow struct {
	s   *Store
	tx  pgx.Tx
	now time.Time // the store's clock, read once: due times and the records' time

	nums          map[string]*numRow
	dests         map[key]*destRow
	items         map[key]*itemRow
	ids           map[[2]string]time.Time // event id and number -> expiry, as loaded or remembered
	newID         map[[2]string]bool      // ids to write
	recs          []*record
	wake          map[string]bool // destinations with an entry newly ready
	lastConfirmed map[string]bool
}

func (s *Store) begin(tx pgx.Tx) *uow {
	return &uow{s: s, tx: tx, now: ms(s.now()), nums: map[string]*numRow{}, dests: map[key]*destRow{},
		items: map[key]*itemRow{}, ids: map[[2]string]time.Time{}, newID: map[[2]string]bool{}, wake: map[string]bool{},
		lastConfirmed: map[string]bool{}}
}

const itemCols = `destination, number, status, at, action, raw, source, channel, reason, scope, occurred_at,
	first_received_at, last_received_at, expires_at, events, attempts, lost_leases, last_error, version, lease,
	consent_channel, purpose, policy`

func scanItem(row pgx.Row) (*itemRow, error) {
	r := &itemRow{stored: true}
	it := &r.item
	var action string
	var events, attempts, lost int32
	err := row.Scan(&r.dest, &it.Number, &r.status, tm{&r.at}, &action, &it.Raw, &it.Source, &it.Channel, &it.Reason,
		&it.Scope, tm{&it.OccurredAt}, tm{&it.FirstReceivedAt}, tm{&it.LastReceivedAt}, tm{&it.ExpiresAt}, &events,
		&attempts, &lost, &it.LastError, &it.Version, &it.Lease, &it.ConsentChannel, &it.Purpose, &it.Policy)
	unesc(&it.Raw, &it.Source, &it.Channel, &it.Reason, &it.Scope, &it.LastError, &it.ConsentChannel, &it.Purpose,
		&it.Policy)
	it.Action, it.Events, it.Attempts, it.LostLeases = queue.Action(action), int(events), int(attempts), int(lost)
	return r, err
}

// keyProbe: load reads the rows of a batch's keys with one index probe per key (unnest, then a
// LATERAL subquery that the planner cannot turn into a join: LIMIT or OFFSET). The obvious
// `a = ANY($1) AND b = ANY($2)` is planned from the column's statistics, and without them (a table
// never analyzed: autovacuum off, or a fresh table filled by an import) PostgreSQL takes the default
// selectivity of a column that is not unique on its own, 0.5% per array element: for 500 keys,
// the whole table. Every batch then scanned all of event_ids and queue, which made the rerun of a
// 1M-row import (every row a duplicate, so every row looked up) five times slower than the import.
// A probe by the whole primary key is planned as one row whatever the statistics say.

// load locks the numbers rows of numbers (creating empty ones, so that a new number is locked
// too), in number order, and loads them with their queue entries and destination states. ids are
// the event ids (with their numbers) to look up.
func (u *uow) load(ctx context.Context, numbers []string, ids [][2]string) error {
	ns := slices.Clone(numbers)
	slices.Sort(ns)
	ns = slices.Compact(ns)
	for _, n := range ns {
		if _, ok := u.nums[n]; ok {
			return errLoadTwice
		}
	}
	b := &pgx.Batch{}
	created := map[string]bool{}
	b.Queue(`INSERT INTO numbers (number) SELECT unnest($1::text[]) ORDER BY 1 ON CONFLICT DO NOTHING
		RETURNING number`, ns).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				return err
			}
			created[n] = true
		}
		return rows.Err()
	})
	b.Queue(`SELECT number, state, first_requested_at, last_event_at, coalesce(newest_seq, 0) FROM numbers
		WHERE number = ANY($1) ORDER BY number FOR UPDATE`, ns).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			r := &numRow{}
			var st string
			if err := rows.Scan(&r.number, &st, tm{&r.first}, tm{&r.last}, &r.newest); err != nil {
				return err
			}
			r.state = queue.State(st)
			u.nums[r.number] = r
		}
		return rows.Err()
	})
	// Each row by its whole primary key, one index probe per key (keyProbe says why).
	b.Queue(`SELECT `+qualified("q", itemCols)+` FROM unnest($2::text[]) AS d(d) CROSS JOIN unnest($1::text[]) AS n(n)
		CROSS JOIN LATERAL (SELECT * FROM queue q WHERE q.destination = d.d AND q.number = n.n LIMIT 1 FOR UPDATE) q`, ns,
		u.s.Destinations()).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			r, err := scanItem(rows)
			if err != nil {
				return err
			}
			u.items[key{r.dest, r.item.Number}] = r
		}
		return rows.Err()
	})
	b.Queue(`SELECT nd.number, nd.destination, nd.state, coalesce(nd.confirmed_action, ''), nd.confirmed_occurred_at,
		nd.confirmed_at, nd.confirmed_expires_at, coalesce(nd.last_error, ''), coalesce(nd.confirmed_seq, 0), coalesce(nd.confirmed_scope, ''),
		coalesce(nd.confirmed_consent_channel, ''), coalesce(nd.confirmed_purpose, ''), coalesce(nd.confirmed_policy, '')
		FROM unnest($1::text[]) AS n(n)
		CROSS JOIN LATERAL (SELECT * FROM number_destinations nd WHERE nd.number = n.n OFFSET 0) nd`, ns).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			r := &destRow{stored: true}
			var st, act string
			f := &r.fold
			if err := rows.Scan(&r.number, &r.dest, &st, &act, tm{&r.ConfirmedOccur}, tm{&r.ConfirmedAt},
				tm{&r.ConfirmedExpires}, &r.LastError, &f.seq, &f.scope, &f.consent, &f.purpose, &f.policy); err != nil {
				return err
			}
			unesc(&r.LastError, &f.scope, &f.consent, &f.purpose, &f.policy)
			r.State, r.ConfirmedAction = queue.State(st), queue.Action(act)
			r.was, r.loaded = r.fold, r.DestState
			u.dests[key{r.dest, r.number}] = r
		}
		return rows.Err()
	})
	if len(ids) > 0 {
		idv, nv := make([]string, len(ids)), make([]string, len(ids))
		for i, p := range ids {
			idv[i], nv[i] = esc(p[0]), p[1]
		}
		b.Queue(`SELECT e.event_id, e.number, e.expires_at FROM unnest($1::text[], $2::text[]) AS k(id, n)
			CROSS JOIN LATERAL (SELECT * FROM event_ids e WHERE e.event_id = k.id AND e.number = k.n LIMIT 1) e`, idv, nv).
			Query(func(rows pgx.Rows) error {
				for rows.Next() {
					var id, n string
					var exp time.Time
					if err := rows.Scan(&id, &n, tm{&exp}); err != nil {
						return err
					}
					unesc(&id)
					u.ids[[2]string{id, n}] = exp
				}
				return rows.Err()
			})
	}
	if err := u.tx.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	for n := range created {
		if r := u.nums[n]; r != nil {
			r.created = true
		}
	}
	return nil
}

type loadError string

func (e loadError) Error() string { return string(e) }

const errLoadTwice = loadError("pgq: a number loaded twice in one transaction")

// num is number's row (loaded).
func (u *uow) num(number string) *numRow {
	r := u.nums[number]
	if r == nil { // not loaded: a bug; an empty row keeps the logic total, and flush writes it
		r = &numRow{number: number}
		u.nums[number] = r
	}
	return r
}

// item is d's entry for number; nil when there is none.
func (u *uow) item(d, number string) *itemRow {
	r := u.items[key{d, number}]
	if r == nil || r.gone {
		return nil
	}
	return r
}

// destState is what d confirmed of number (its row, or an empty one; the primary's state without
// a row is the number's own, as in the embedded store).
func (u *uow) destState(d, number string) *destRow {
	k := key{d, number}
	r := u.dests[k]
	if r == nil {
		r = &destRow{number: number, dest: d}
		if d == u.s.dests[0].name {
			r.State = u.num(number).state
		}
		u.dests[k] = r
	}
	return r
}

// move puts r in status with time at.
func (u *uow) move(r *itemRow, status string, at time.Time) {
	r.status, r.at, r.dirty, r.gone = status, ms(at), true, false
	if status != "leased" {
		r.item.Lease = ""
	}
	if status == "ready" {
		u.wake[r.dest] = true
	}
}

func (u *uow) remove(r *itemRow) { r.gone, r.dirty = true, true }

// holder is d's entry for it only if leased under its token.
func (u *uow) holder(d string, it queue.Item) *itemRow {
	r := u.item(d, it.Number)
	if it.Lease == "" || r == nil || r.status != "leased" || r.item.Lease != it.Lease {
		return nil
	}
	return r
}

// record appends rec to the log, and to its number's trail when it has one.
func (u *uow) record(rec *record) {
	rec.At = u.now
	u.recs = append(u.recs, rec)
}

// received updates the first and last receipt of a number.
func received(n *numRow, at time.Time) {
	if n.first.IsZero() {
		n.first = at
	}
	if at.UnixMilli() > n.last.UnixMilli() {
		n.last = at
	}
	n.dirty = true
}

// destRecord appends rec (about destination d) to number's trail after change has updated d's state.
func (u *uow) destRecord(d, number string, rec queue.AuditRecord, change func(*queue.DestState)) {
	ds := u.destState(d, number)
	change(&ds.DestState)
	ds.dirty = true
	// The primary's state is its number_destinations row's; the numbers row is not rewritten for it
	// (schema 8: a confirmation leaves numbers alone), unless this transaction creates the row.
	if n := u.num(number); d == u.s.dests[0].name && n.created {
		n.state, n.dirty = ds.State, true
	}
	u.record(&record{AuditRecord: rec, dest: d})
}

// failure records a failed push or a dead letter (see boltq's failure).
func (u *uow) failure(d, number string, kind queue.AuditKind, action queue.Action, detail string, setErr bool) {
	u.destRecord(d, number, queue.AuditRecord{Kind: kind, Number: number, Action: action, Detail: detail},
		func(st *queue.DestState) {
			if kind == queue.AuditDead {
				st.State, setErr = queue.StateDead, true
			}
			if setErr {
				st.LastError = detail
			}
		})
}

// confirmed records that d confirmed it, the item as claimed.
func (u *uow) confirmed(d string, it queue.Item) {
	rec := queue.Confirmed(it)
	rec.ExpiresAt = ms(it.ExpiresAt)
	u.destRecord(d, it.Number, rec, func(st *queue.DestState) {
		st.State = queue.StateSynced
		if it.Action == queue.Remove {
			st.State = queue.StateRemoved
		}
		st.ConfirmedAction, st.ConfirmedOccur, st.ConfirmedExpires = it.Action, ms(it.OccurredAt), ms(it.ExpiresAt)
		st.ConfirmedAt = u.now
		st.LastError = ""
	})
	u.lastConfirmed[d] = true
}

// seqsQuery takes $1 audit sequence numbers.
const seqsQuery = `SELECT nextval('audit_seq') FROM generate_series(1, $1)`

// seqs takes n audit sequence numbers, in order.
func (u *uow) seqs(ctx context.Context, n int) ([]int64, error) {
	if n == 0 {
		return nil, nil
	}
	rows, err := u.tx.Query(ctx, seqsQuery, n)
	if err != nil {
		return nil, err
	}
	seqs, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	slices.Sort(seqs)
	return seqs, err
}

// flush writes what changed and the records, in one round trip.
func (u *uow) flush(ctx context.Context) error {
	b := &pgx.Batch{}
	if len(u.recs) > 0 {
		seqs, err := u.seqs(ctx, len(u.recs))
		if err != nil {
			return err
		}
		for i, rec := range u.recs {
			rec.seq = seqs[i]
			// A push record (its destination's) leaves an existing numbers row as it is: retention
			// finds a number's newest record at trim time (partition.go), and a confirmation costs
			// no new version of the row (schema 8).
			if rec.Number == "" {
				continue
			}
			if n := u.num(rec.Number); rec.dest == "" || n.created {
				n.newest, n.dirty = rec.seq, true
			}
		}
	}
	spill := u.foldConfirmations()
	var nw numberRows
	for _, n := range sortedKeys(u.nums) {
		r := u.nums[n]
		switch {
		case r.gone, r.created && !r.dirty:
			nw.gone = append(nw.gone, r.number)
		case r.dirty:
			nw.add(r)
		}
	}
	nw.queue(b)
	var dw destRows
	for _, r := range u.dests {
		if r.dirty {
			dw.add(r)
		}
	}
	dw.queue(b)
	var iw itemRows
	for _, r := range u.items {
		switch {
		case !r.dirty:
		case r.gone:
			if r.stored {
				iw.goneDest, iw.goneNumber = append(iw.goneDest, r.dest), append(iw.goneNumber, r.item.Number)
			}
		default:
			iw.add(r)
		}
	}
	iw.queue(b)
	var ew eventIDRows
	for k := range u.newID {
		ew.id, ew.number, ew.expires = append(ew.id, esc(k[0])), append(ew.number, k[1]), append(ew.expires, u.ids[k])
	}
	ew.queue(b)
	var rw recordRows
	for _, rec := range u.recs {
		rw.add(b, rec)
	}
	for _, rec := range spill {
		rw.add(b, rec)
	}
	rw.queue(b)
	for d := range u.lastConfirmed {
		b.Queue(`INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
			"last_confirmed:"+d, u.now.Format(time.RFC3339Nano))
	}
	if b.Len() == 0 {
		return nil
	}
	return u.tx.SendBatch(ctx, b).Close()
}

// queueRecord adds the insert of a rejection's record (events and confirmations go set-based:
// recordRows).
func queueRecord(b *pgx.Batch, rec *record) {
	r, j := &rec.AuditRecord, rec.rej
	var id any
	if rec.id != "" {
		id = rec.id
	}
	b.Queue(`INSERT INTO rejections (seq, at, number, valid_number, kind, raw, body, said, reason, region, source,
		channel, event_id, received_at, hash, bytes, identity) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
		$12, $13, $14, $15, $16, $17)`, rec.seq, r.At, j.Key, j.Number != "", string(j.Kind), esc(j.Raw), esc(j.Body),
		esc(j.Said), esc(j.Reason), esc(j.Region), esc(j.Source), esc(j.Channel), esc(j.EventID), tz(j.ReceivedAt),
		j.Hash, j.Bytes, id)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// write runs fn in a transaction with a uow, flushes and commits; then it wakes the destinations
// with newly ready entries (after the commit, not in it: notifier says why).
func (s *Store) write(ctx context.Context, fn func(u *uow) error) error {
	var wake []string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		u := s.begin(tx)
		if err := fn(u); err != nil {
			return err
		}
		wake = wake[:0]
		for d := range u.wake {
			wake = append(wake, s.channel+d)
		}
		return u.flush(ctx)
	})
	if err == nil {
		s.notify.wake(wake)
	}
	return err
}
