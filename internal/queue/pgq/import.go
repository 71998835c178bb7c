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

// EnqueueImport records events as Enqueue does, for the batches of `dncsync import`: the batch's
// numbers are copied (COPY) into a staging table, and one merge creates the rows of those the
// database has never seen, with their final values (one row version, not a locked placeholder
// updated later), followed by their queue entries, records and event ids, set-based. An event
// for a number already known, or repeated in the batch, goes through Enqueue's own rules in the
// same transaction. The statuses, the records and the idempotency are Enqueue's; the batch is its
// own transaction (no group commit: an import's batches are large already).
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
const importStage = `CREATE TEMP TABLE IF NOT EXISTS dncsync_import_stage (number text, seq bigint, received timestamptz)
	ON COMMIT DELETE ROWS;
	CREATE TEMP TABLE IF NOT EXISTS dncsync_import_queue (LIKE queue) ON COMMIT DELETE ROWS`

// queueColumns are the queue's columns in itemCols' order: the staging table's, since it is made LIKE queue.
var queueColumns = strings.Fields(strings.ReplaceAll(itemCols, ",", " "))

var eventColumns = []string{"seq", "at", "number", "kind", "action", "raw", "source", "channel", "reason", "scope",
	"event_id", "occurred_at", "received_at", "expires_at", "repeats", "consent_channel", "purpose", "policy"}

// copyEvents is the events records collected, as COPY rows.
func (w *recordRows) copyEvents() pgx.CopyFromSource {
	return pgx.CopyFromSlice(len(w.eSeq), func(i int) ([]any, error) {
		return []any{w.eSeq[i], w.eAt[i], w.eNumber[i], w.eKind[i], w.eAction[i], w.eRaw[i], w.eSource[i], w.eChannel[i],
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
	out := make([]queue.EnqueueStatus, len(events))
	err := s.write(ctx, func(u *uow) error {
		evs := make([]queue.Event, len(events))
		count := map[string]int{}
		for i, ev := range events {
			// Compare and store at the millisecond, as Enqueue does.
			ev.OccurredAt, ev.ReceivedAt, ev.ExpiresAt = ms(ev.OccurredAt), ms(ev.ReceivedAt), ms(ev.ExpiresAt)
			evs[i] = ev
			count[ev.Number]++
		}
		// Candidates: events whose number is alone in the batch, in number order (the order rows are locked in).
		var cand []int
		for i := range evs {
			if count[evs[i].Number] == 1 {
				cand = append(cand, i)
			}
		}
		slices.SortFunc(cand, func(a, b int) int { return strings.Compare(evs[a].Number, evs[b].Number) })
		seqs, err := u.seqs(ctx, len(cand))
		if err != nil {
			return err
		}
		if _, err := u.tx.Exec(ctx, importStage); err != nil {
			return err
		}
		rows := make([][]any, len(cand))
		for k, i := range cand {
			rows[k] = []any{evs[i].Number, seqs[k], ts(evs[i].ReceivedAt)}
		}
		if _, err := u.tx.CopyFrom(ctx, pgx.Identifier{"dncsync_import_stage"}, []string{"number", "seq", "received"},
			pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		// The merge: a number not seen before gets its row as Enqueue would leave it (state '', first
		// and last request at its receipt, its newest record the one written below).
		created := map[string]bool{}
		crows, err := u.tx.Query(ctx, `INSERT INTO numbers (number, state, first_requested_at, last_event_at, newest_seq)
			SELECT number, '', received, received, seq FROM dncsync_import_stage ORDER BY number
			ON CONFLICT (number) DO NOTHING RETURNING number`)
		if err != nil {
			return err
		}
		ns, err := pgx.CollectRows(crows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, n := range ns {
			created[n] = true
		}
		var iw itemRows
		var rw recordRows
		var ew eventIDRows
		idExpiry := u.now.Add(s.ttl)
		for k, i := range cand {
			ev := evs[i]
			if !created[ev.Number] {
				continue
			}
			if ev.ID != "" {
				ew.id, ew.number, ew.expires = append(ew.id, esc(queue.BoundID(ev.ID))), append(ew.number, ev.Number),
					append(ew.expires, idExpiry)
			}
			out[i] = queue.Stale // routed to no destination (queue.Event.Lanes): recorded only
			for _, d := range s.dests {
				if !ev.For(d.name) {
					continue
				}
				iw.add(&itemRow{dest: d.name, item: queue.NewItem(ev), status: "ready", at: ev.ReceivedAt})
				u.wake[d.name] = true
				out[i] = queue.Created
			}
			rec := &record{AuditRecord: queue.Received(ev, u.now), seq: seqs[k]}
			if out[i] == queue.Stale {
				rec.Kind = queue.AuditStale
			}
			rec.EventID = queue.BoundID(ev.ID)
			rw.add(nil, rec)
		}
		// The entries: COPY into a staging table shaped like the queue, then one merge (a set-based
		// upsert's arrays cost PostgreSQL several times what COPY does).
		if len(iw.dest) > 0 {
			if _, err := u.tx.CopyFrom(ctx, pgx.Identifier{"dncsync_import_queue"}, queueColumns, iw.copyRows()); err != nil {
				return err
			}
			if _, err := u.tx.Exec(ctx, `INSERT INTO queue SELECT * FROM dncsync_import_queue
				ON CONFLICT (destination, number) DO UPDATE SET `+queueUpdate); err != nil {
				return err
			}
		}
		// The records: COPY straight into events (append only, each with a sequence number of its own).
		if len(rw.eSeq) > 0 {
			if _, err := u.tx.CopyFrom(ctx, pgx.Identifier{"events"}, eventColumns, rw.copyEvents()); err != nil {
				return err
			}
		}
		b := &pgx.Batch{}
		ew.queue(b)
		if b.Len() > 0 {
			if err := u.tx.SendBatch(ctx, b).Close(); err != nil {
				return err
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
			return nil
		}
		if err := u.load(ctx, numbers, ids); err != nil {
			return err
		}
		for _, i := range rest {
			out[i] = u.enqueue(evs[i], idExpiry)
		}
		return nil
	})
	return out, err
}
