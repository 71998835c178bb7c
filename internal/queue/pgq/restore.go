package pgq

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dncsync/dncsync/internal/queue"
)

// Restoring is how `dncsync migrate-store` writes another store's content into this one: through
// the unit of work (uow), as the store's own methods write, keeping each record's time and each
// entry's place in line. Every step can run again: a record already here (the same kind, time,
// number, destination, action, event id and detail) is not written twice, and states, entries and
// event ids are set to what they are in the store moved from.

// RestoreRecords writes records, in the order the store moved from wrote them, with their own
// times. It returns how many it wrote; the others were here already.
func (s *Store) RestoreRecords(ctx context.Context, recs []queue.Moved) (int, error) {
	months := map[time.Time]bool{}
	for _, m := range recs {
		months[monthStart(m.Record.At)] = true
	}
	for m := range months {
		if err := s.ensurePartitions(ctx, m); err != nil {
			return 0, unavailable("restore: partitions", err)
		}
	}
	var wrote int
	err := s.write(ctx, func(u *uow) error {
		wrote = 0
		var numbers []string
		all := []string{""}
		for _, m := range recs {
			if n := m.Record.Number; n != "" {
				numbers = append(numbers, n)
				all = append(all, n)
			}
		}
		if err := u.load(ctx, numbers, nil); err != nil {
			return err
		}
		have, err := u.trailKeys(ctx, all)
		if err != nil {
			return err
		}
		idents, err := u.identities(ctx, recs)
		if err != nil {
			return err
		}
		st, err := u.counts(ctx)
		if err != nil {
			return err
		}
		for _, m := range recs {
			r := m.Record
			r.At = ms(r.At)
			dest := ""
			switch r.Kind {
			case queue.AuditReceived, queue.AuditStale, queue.AuditRejected, queue.AuditIgnored:
			default:
				if dest = r.Destination; dest == "" {
					dest = s.dests[0].name
				}
			}
			k := trailKey(r.Kind, r.At, r.Number, dest, r.Action, r.EventID, r.Detail)
			if m.Present(have, k) {
				continue
			}
			wrote++
			switch r.Kind {
			case queue.AuditRejected, queue.AuditIgnored:
				rej := rejectionOf(r, m.Rejection)
				id := ""
				if r.Kind == queue.AuditRejected {
					if id = rej.Identity(); idents[id] {
						id = "" // kept under that identity by another record: this one keeps none
					}
					idents[id] = id != ""
					st.kept++
					st.recorded++
				}
				u.rejected(rej, id)
			default:
				r.Destination = ""
				u.record(&record{AuditRecord: r, dest: dest})
			}
			u.recs[len(u.recs)-1].At = r.At // record stamps the transaction's time
		}
		return u.putCounts(ctx, st)
	})
	if err != nil {
		return 0, unavailable("restore records", err)
	}
	return wrote, nil
}

// rejectionOf is the rejection r witnesses: the one kept, or one read back from the record (a
// store that kept the record longer than the rejection).
func rejectionOf(r queue.AuditRecord, kept *queue.Rejection) *queue.Rejection {
	if kept != nil {
		v := *kept
		v.Kind, v.Key = r.Kind, r.Number
		return &v
	}
	return &queue.Rejection{Kind: r.Kind, Key: r.Number, Raw: r.Raw, Said: r.Reason, Reason: r.Detail,
		Region: r.Region, Source: r.Source, Channel: r.Channel, EventID: r.EventID, ReceivedAt: r.ReceivedAt}
}

// trailKey is what tells two records apart when restoring.
func trailKey(kind queue.AuditKind, at time.Time, number, dest string, action queue.Action, eventID, detail string) string {
	return string(kind) + "\x00" + strconv.FormatInt(at.UnixMilli(), 10) + "\x00" + number + "\x00" + dest + "\x00" +
		string(action) + "\x00" + eventID + "\x00" + detail
}

// trailKeys counts the records of numbers already here, by trailKey.
func (u *uow) trailKeys(ctx context.Context, numbers []string) (map[string]int, error) {
	rows, err := u.tx.Query(ctx, `SELECT kind, at, number, destination, action, event_id, detail FROM audit_trail
		WHERE number = ANY($1)`, numbers)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for rows.Next() {
		var kind, number, dest, action, id, detail string
		var at time.Time
		if err := rows.Scan(&kind, tm{&at}, &number, &dest, &action, &id, &detail); err != nil {
			rows.Close()
			return nil, err
		}
		unesc(&id, &detail)
		out[trailKey(queue.AuditKind(kind), at, number, dest, queue.Action(action), id, detail)]++
	}
	return out, rows.Err()
}

// identities reports which of the rejections' identities are kept here already.
func (u *uow) identities(ctx context.Context, recs []queue.Moved) (map[string]bool, error) {
	var ids []string
	for _, m := range recs {
		if m.Record.Kind == queue.AuditRejected {
			if id := rejectionOf(m.Record, m.Rejection).Identity(); id != "" {
				ids = append(ids, id)
			}
		}
	}
	out := map[string]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := u.tx.Query(ctx, `SELECT identity FROM rejections WHERE identity = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	have, err := pgx.CollectRows(rows, pgx.RowTo[string])
	for _, id := range have {
		out[id] = true
	}
	return out, err
}

// RestoreStates sets each number's standing (first and last receipt, and what each destination
// confirmed) to what the store moved from says (queue.Evidence.States).
func (s *Store) RestoreStates(ctx context.Context, states []queue.NumberState) error {
	err := s.write(ctx, func(u *uow) error {
		numbers := make([]string, len(states))
		for i, st := range states {
			numbers[i] = st.Number
		}
		if err := u.load(ctx, numbers, nil); err != nil {
			return err
		}
		for _, st := range states {
			n := u.num(st.Number)
			n.first, n.last, n.dirty = ms(st.FirstRequestedAt), ms(st.LastEventAt), true
			ds := st.Destinations
			if len(ds) == 0 {
				ds = map[string]queue.DestState{s.dests[0].name: {State: st.State, ConfirmedAction: st.ConfirmedAction,
					ConfirmedOccur: st.ConfirmedOccur, ConfirmedAt: st.ConfirmedAt, ConfirmedExpires: st.ConfirmedExpires,
					LastError: st.LastError}}
			}
			for name, d := range ds {
				if !s.has(name) {
					return fmt.Errorf("%s has a state for destination %q, which is not configured here", st.Number, name)
				}
				d = queue.Restored(d, false)
				r := u.destState(name, st.Number)
				r.State, r.ConfirmedAction, r.ConfirmedOccur = d.State, d.ConfirmedAction, ms(d.ConfirmedOccur)
				r.ConfirmedAt, r.ConfirmedExpires, r.LastError = ms(d.ConfirmedAt), ms(d.ConfirmedExpires), d.LastError
				r.dirty = true
				if name == s.dests[0].name {
					n.state = d.State
				}
			}
		}
		return nil
	})
	if err != nil {
		return unavailable("restore states", err)
	}
	return nil
}

func (s *Store) has(dest string) bool {
	for _, d := range s.dests {
		if d.name == dest {
			return true
		}
	}
	return false
}

// RestoreEntries puts entries in their destinations' queues as they are: ready at their due time,
// dead with their error, at their place in line (first receipt) with their attempts and lost leases.
// An entry still leased (its pusher was killed) keeps its lease until the deadline, after which
// Recover returns it to ready, counting the lost lease, as the store moved from would have.
func (s *Store) RestoreEntries(ctx context.Context, entries []queue.Entry) error {
	err := s.write(ctx, func(u *uow) error {
		numbers := make([]string, len(entries))
		for i, e := range entries {
			numbers[i] = e.Item.Number
		}
		if err := u.load(ctx, numbers, nil); err != nil {
			return err
		}
		for _, e := range entries {
			if !s.has(e.Dest) {
				return fmt.Errorf("an entry of %s is for destination %q, which is not configured here", e.Item.Number, e.Dest)
			}
			k := key{e.Dest, e.Item.Number}
			r := u.items[k]
			if r == nil {
				r = &itemRow{dest: e.Dest}
				u.items[k] = r
			}
			r.item = e.Item
			u.move(r, string(e.Status), e.At)
		}
		return nil
	})
	if err != nil {
		return unavailable("restore entries", err)
	}
	return nil
}

// RemoveEntries takes entries out of their destinations' queues without a record: those a run of
// migrate-store finds here that the store moved from no longer holds (its service pushed them
// between two runs, and their confirmations came with the trail).
func (s *Store) RemoveEntries(ctx context.Context, entries []queue.Entry) error {
	err := s.write(ctx, func(u *uow) error {
		numbers := make([]string, len(entries))
		for i, e := range entries {
			numbers[i] = e.Item.Number
		}
		if err := u.load(ctx, numbers, nil); err != nil {
			return err
		}
		for _, e := range entries {
			if r := u.item(e.Dest, e.Item.Number); r != nil {
				u.remove(r)
			}
		}
		return nil
	})
	if err != nil {
		return unavailable("remove entries", err)
	}
	return nil
}

// RestoreEventIDs remembers event ids until their own expiry, so that a sender's retry after the
// move is still a duplicate. Those already expired are left out.
func (s *Store) RestoreEventIDs(ctx context.Context, ids []queue.EventID) error {
	err := s.write(ctx, func(u *uow) error {
		for _, id := range ids {
			if !id.Expires.After(u.now) {
				continue
			}
			k := [2]string{id.ID, id.Number}
			u.ids[k], u.newID[k] = ms(id.Expires), true
		}
		return nil
	})
	if err != nil {
		return unavailable("restore event ids", err)
	}
	return nil
}

// RestoreLastConfirmed sets when destination dest last confirmed a push.
func (s *Store) RestoreLastConfirmed(ctx context.Context, dest string, at time.Time) error {
	if at.IsZero() {
		return nil
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE
		SET value = EXCLUDED.value`, "last_confirmed:"+dest, ms(at).Format(time.RFC3339Nano))
	if err != nil {
		return unavailable("restore last confirmed", err)
	}
	return nil
}
