package pgq

import (
	"context"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/dncsync/dncsync/internal/queue"
)

// importTries bounds the attempts of an import batch that met a deadlock with a concurrent writer.
const importTries = 3

// EnqueueImport records events as Enqueue does, for the batches of `dncsync import`: the same
// set-based write (enqueueSet: COPY into staging tables and one merge), in a transaction of the
// batch's own (no group commit: an import's batches are large already), retried when it meets a
// deadlock. The statuses, the records and the idempotency are Enqueue's.
func (s *Store) EnqueueImport(ctx context.Context, events []queue.Event) ([]queue.EnqueueStatus, error) {
	if err := s.checkEvents(ctx, events); err != nil {
		return nil, err
	}
	if len(events) == 0 {
		return []queue.EnqueueStatus{}, nil
	}
	var out []queue.EnqueueStatus
	var err error
	for range importTries {
		out, err = s.enqueueImport(ctx, events)
		if err == nil || !isConflict(err) {
			break
		}
	}
	if err != nil {
		return nil, unavailable("import", err)
	}
	return out, nil
}

// The staging tables, per connection (ON COMMIT DELETE ROWS: each batch starts with them empty).
var importStage = []string{
	`CREATE TEMP TABLE IF NOT EXISTS dncsync_import_stage (number text, seq bigint, received timestamptz)
	ON COMMIT DELETE ROWS`,
	`CREATE TEMP TABLE IF NOT EXISTS dncsync_import_queue (LIKE queue) ON COMMIT DELETE ROWS`,
}

// queueColumns are the queue's columns in itemCols' order: the staging table's, since it is made LIKE queue.
var queueColumns = strings.Fields(strings.ReplaceAll(itemCols, ",", " "))

var eventColumns = []string{"seq", "at", "number", "kind", "action", "raw", "source", "channel", "reason", "scope",
	"event_id", "occurred_at", "received_at", "expires_at", "repeats", "consent_channel", "purpose", "policy"}

// copyEvents is the events records collected, as COPY rows.
func (w *recordRows) copyEvents() pgx.CopyFromSource {
	return pgx.CopyFromSlice(len(w.eSeq), func(i int) ([]any, error) {
		return []any{w.eSeq[i], w.eAt[i], w.eNumber[i], qchar(w.eKind[i]), qchar(w.eAction[i]), w.eRaw[i], w.eSource[i], w.eChannel[i],
			w.eReason[i], w.eScope[i], w.eID[i], w.eOccurred[i], w.eReceived[i], w.eExpires[i], w.eRepeats[i],
			w.eConsent[i], w.ePurpose[i], w.ePolicy[i]}, nil
	})
}

// copyRows is the entries collected, as COPY rows.
func (w *itemRows) copyRows() pgx.CopyFromSource {
	return pgx.CopyFromSlice(len(w.dest), func(i int) ([]any, error) {
		return []any{w.dest[i], w.number[i], w.status[i], w.at[i], w.action[i], w.raw[i], w.source[i], w.channel[i],
			w.reason[i], w.scope[i], w.occurred[i], w.first[i], w.last[i], w.expires[i], w.events[i], w.attempts[i],
			w.lost[i], w.lastError[i], w.version[i], w.lease[i], w.consent[i], w.purpose[i], w.policy[i]}, nil
	})
}

func (s *Store) enqueueImport(ctx context.Context, events []queue.Event) ([]queue.EnqueueStatus, error) {
	var out []queue.EnqueueStatus
	err := s.write(ctx, func(u *uow) error {
		var err error
		out, err = u.enqueueSet(ctx, events)
		return err
	})
	return out, err
}

// enqueueSet records events as u.enqueue does, one after the other, set-based: every number of
// the batch gets its numbers row in one statement, in number order, through a staging table
// filled by COPY. A number the database has never seen, alone in the batch, gets its final row
// there, and its entries, record and event id are written by COPY and one merge, with no rule to
// apply (a new number's event is created for every destination). The others get a placeholder
// row if new, and go through u.load and u.enqueue. Rows are locked as u.load alone locks them:
// first the new ones, inserted in number order, then the known ones, in number order; so two
// transactions cannot wait for each other.
func (u *uow) enqueueSet(ctx context.Context, events []queue.Event) ([]queue.EnqueueStatus, error) {
	s := u.s
	out := make([]queue.EnqueueStatus, len(events))
	evs := make([]queue.Event, len(events))
	count := map[string]int{}
	for i, ev := range events {
		// Compare and store at the millisecond, as Enqueue does.
		ev.OccurredAt, ev.ReceivedAt, ev.ExpiresAt = ms(ev.OccurredAt), ms(ev.ReceivedAt), ms(ev.ExpiresAt)
		evs[i] = ev
		count[ev.Number]++
	}
	// Every number once, in number order; alone: its only event (a candidate for a final row), else -1.
	type staged struct {
		number string
		alone  int
	}
	var stage []staged
	for i := range evs {
		switch count[evs[i].Number] {
		case 1:
			stage = append(stage, staged{evs[i].Number, i})
		case -1:
		default:
			stage = append(stage, staged{evs[i].Number, -1})
			count[evs[i].Number] = -1
		}
	}
	slices.SortFunc(stage, func(a, b staged) int { return strings.Compare(a.number, b.number) })
	alone := 0
	for _, st := range stage {
		if st.alone >= 0 {
			alone++
		}
	}
	// The staging tables and the new numbers' sequence numbers in one round trip.
	b := &pgx.Batch{}
	for _, q := range importStage {
		b.Queue(q)
	}
	var seqs []int64
	if alone > 0 {
		b.Queue(seqsQuery, alone).Query(func(rows pgx.Rows) error {
			var err error
			seqs, err = pgx.CollectRows(rows, pgx.RowTo[int64])
			return err
		})
	}
	if err := u.tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, err
	}
	slices.Sort(seqs)
	rows := make([][]any, len(stage))
	seqOf := map[string]int64{}
	k := 0
	for j, st := range stage {
		if st.alone < 0 {
			rows[j] = []any{st.number, nil, nil}
			continue
		}
		rows[j] = []any{st.number, seqs[k], ts(evs[st.alone].ReceivedAt)}
		seqOf[st.number] = seqs[k]
		k++
	}
	if _, err := u.tx.CopyFrom(ctx, pgx.Identifier{"dncsync_import_stage"}, []string{"number", "seq", "received"},
		pgx.CopyFromRows(rows)); err != nil {
		return nil, err
	}
	// The merge: a number not seen before gets its row as Enqueue leaves it (state '', first and
	// last request at its receipt, its newest record the one written below), or a placeholder.
	crows, err := u.tx.Query(ctx, `INSERT INTO numbers (number, state, first_requested_at, last_event_at, newest_seq)
		SELECT number, '', received, received, seq FROM dncsync_import_stage ORDER BY number
		ON CONFLICT (number) DO NOTHING RETURNING number, newest_seq IS NOT NULL`)
	if err != nil {
		return nil, err
	}
	created, placeholder := map[string]bool{}, map[string]bool{}
	for crows.Next() {
		var n string
		var final bool
		if err := crows.Scan(&n, &final); err != nil {
			crows.Close()
			return nil, err
		}
		if final {
			created[n] = true
		} else {
			placeholder[n] = true
		}
	}
	if err := crows.Err(); err != nil {
		return nil, err
	}
	var iw itemRows
	var rw recordRows
	var ew eventIDRows
	idExpiry := u.now.Add(s.ttl)
	for _, st := range stage {
		if st.alone < 0 || !created[st.number] {
			continue
		}
		i := st.alone
		ev := evs[i]
		if ev.ID != "" {
			ew.id, ew.number, ew.expires = append(ew.id, esc(queue.BoundID(ev.ID))), append(ew.number, ev.Number),
				append(ew.expires, idExpiry)
		}
		out[i] = queue.Stale
		for _, d := range s.dests {
			if !ev.For(d.name) { // routed to some lanes only (Event.Only, Event.Lanes)
				continue
			}
			iw.add(&itemRow{dest: d.name, item: queue.NewItem(ev), status: "ready", at: ev.ReceivedAt})
			u.wake[d.name] = true
			out[i] = queue.Created
		}
		rec := &record{AuditRecord: queue.Received(ev, u.now), seq: seqOf[ev.Number]}
		rec.EventID = queue.BoundID(ev.ID)
		if out[i] == queue.Stale {
			rec.Kind = queue.AuditStale
		}
		rw.add(nil, rec)
	}
	// The entries: COPY into a staging table shaped like the queue, then one merge (a set-based
	// upsert's arrays cost PostgreSQL several times what COPY does).
	if len(iw.dest) > 0 {
		if _, err := u.tx.CopyFrom(ctx, pgx.Identifier{"dncsync_import_queue"}, queueColumns, iw.copyRows()); err != nil {
			return nil, err
		}
		if _, err := u.tx.Exec(ctx, `INSERT INTO queue SELECT * FROM dncsync_import_queue
			ON CONFLICT (destination, number) DO UPDATE SET `+queueUpdate); err != nil {
			return nil, err
		}
	}
	// The records: COPY straight into events (append only, each with a sequence number of its own).
	if len(rw.eSeq) > 0 {
		if _, err := u.tx.CopyFrom(ctx, pgx.Identifier{"events"}, eventColumns, rw.copyEvents()); err != nil {
			return nil, err
		}
	}
	b = &pgx.Batch{}
	ew.queue(b)
	if b.Len() > 0 {
		if err := u.tx.SendBatch(ctx, b).Close(); err != nil {
			return nil, err
		}
	}
	// The rest by Enqueue's rules, in the batch's order.
	var rest []int
	var numbers []string
	var ids [][2]string
	for i, ev := range evs {
		if created[ev.Number] {
			continue
		}
		rest = append(rest, i)
		numbers = append(numbers, ev.Number)
		if ev.ID != "" {
			ids = append(ids, [2]string{queue.BoundID(ev.ID), ev.Number})
		}
	}
	if len(rest) == 0 {
		return out, nil
	}
	if err := u.load(ctx, numbers, ids); err != nil {
		return nil, err
	}
	for n := range placeholder {
		if r := u.nums[n]; r != nil {
			r.created = true // made here: flush removes it if nothing was written to it
		}
	}
	for _, i := range rest {
		out[i] = u.enqueue(evs[i], idExpiry)
	}
	return out, nil
}
