package boltq

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/dncsync/dncsync/internal/queue"
)

// Restoring is how `dncsync migrate-store` writes another store's content into this one, as
// pgq/restore.go does for PostgreSQL: each record at its own time and each entry at its place in
// line. Every step can run again: a record already here (the same kind, time, number, destination,
// action, event id and detail) is not written twice, and states, entries and event ids are set to
// what they are in the store moved from. The audit log must stay in time order (stamp, seekAt):
// restore into an empty store, or one that only an earlier run of the same move wrote.

// RestoreRecords writes recs in order with their own times and returns how many it wrote; the
// others were here already.
func (s *Store) RestoreRecords(ctx context.Context, recs []queue.Moved) (int, error) {
	if err := s.writable("restore records"); err != nil {
		return 0, err
	}
	if len(recs) == 0 {
		return 0, nil
	}
	var wrote int
	err := s.write(ctx, s.db.Update, func(tx *bolt.Tx) error {
		wrote = 0
		t := s.begin(tx)
		have, err := t.restoredKeys(recs)
		if err != nil {
			return err
		}
		st, err := t.rejStats()
		if err != nil {
			return err
		}
		for _, m := range recs {
			r := m.Record
			r.At = time.UnixMilli(r.At.UnixMilli()).UTC()
			if m.Present(have, queue.RestoreKey(&r)) {
				continue
			}
			wrote++
			// The records of this transaction are written at their own time, not the clock's.
			t.at, t.stamped = r.At.UnixMilli(), true
			switch r.Kind {
			case queue.AuditRejected, queue.AuditIgnored:
				if err := t.restoreRejection(r, m.Rejection, &st); err != nil {
					return err
				}
			default:
				key := ""
				var ns *numState
				if r.Number != "" {
					key = trailKey(r.Number)
					if ns, err = t.state(r.Number, key); err != nil {
						return err
					}
				}
				if err := t.record(key, ns, r); err != nil {
					return err
				}
			}
		}
		return t.putRejStats(st)
	})
	if err != nil {
		return 0, unavailable("restore records", err)
	}
	return wrote, nil
}

// restoreRejection writes the record of a rejection (or ignored words) and, for a rejection, the
// rejection it witnesses unless one of the same identity is kept already.
func (t *txn) restoreRejection(r queue.AuditRecord, kept *queue.Rejection, st *rejStats) error {
	rej := queue.Rejection{Kind: r.Kind, Key: r.Number, Raw: r.Raw, Said: r.Reason, Reason: r.Detail, Region: r.Region,
		Source: r.Source, Channel: r.Channel, EventID: r.EventID, ReceivedAt: r.ReceivedAt}
	if kept != nil {
		rej = *kept
		rej.Kind, rej.Key = r.Kind, r.Number
	}
	audit, err := t.rejected(&rej)
	if err != nil || r.Kind != queue.AuditRejected {
		return err
	}
	id := rej.Identity()
	if id != "" && t.seen.Get([]byte(id)) != nil {
		return nil // kept under that identity by another record: this one keeps none
	}
	seq, err := t.rejections.NextSequence()
	if err != nil {
		return err
	}
	if err := t.rejections.Put(seqKey(seq), encodeRejection(rej, audit)); err != nil {
		return err
	}
	if id != "" {
		if err := t.seen.Put([]byte(id), seqKey(seq)); err != nil {
			return err
		}
	}
	st.kept++
	st.recorded++
	return nil
}

// restoredKeys counts the records already here that recs could repeat: those of their numbers'
// trails, and for records of no number those of the log written in their span of time.
func (t *txn) restoredKeys(recs []queue.Moved) (map[string]int, error) {
	have := map[string]int{}
	seen := map[string]bool{}
	add := func(v []byte) error {
		r, err := decodeAudit(v)
		if err != nil {
			return err
		}
		have[queue.RestoreKey(&r)]++
		return nil
	}
	var lo, hi int64
	numberless := false
	for _, m := range recs {
		n := m.Record.Number
		if n == "" {
			at := m.Record.At.UnixMilli()
			if !numberless || at < lo {
				lo = at
			}
			if !numberless || at > hi {
				hi = at
			}
			numberless = true
			continue
		}
		if seen[n] {
			continue
		}
		seen[n] = true
		prefix := stateKey(trailKey(n))
		c := t.trail.Cursor()
		// The state (the prefix itself) comes first, then a pointer (prefix + sequence) per record.
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			if len(k) != len(prefix)+8 {
				continue
			}
			if v := t.audit.Get(k[len(prefix):]); v != nil {
				if err := add(v); err != nil {
					return nil, err
				}
			}
		}
	}
	if numberless {
		c := t.audit.Cursor()
		k, v, err := seekAt(c, lo)
		for ; err == nil && k != nil; k, v = c.Next() {
			at, number, perr := peekAudit(v)
			if perr != nil {
				return nil, perr
			}
			if at > hi {
				break
			}
			if number == "" {
				if err := add(v); err != nil {
					return nil, err
				}
			}
		}
		if err != nil {
			return nil, err
		}
	}
	return have, nil
}

// RestoreStates sets each number's standing (first and last receipt, and what each destination
// confirmed) to what the store moved from says.
func (s *Store) RestoreStates(ctx context.Context, states []queue.NumberState) error {
	if err := s.writable("restore states"); err != nil {
		return err
	}
	err := s.write(ctx, s.db.Update, func(tx *bolt.Tx) error {
		t := s.begin(tx)
		for _, in := range states {
			key := trailKey(in.Number)
			ns, err := t.state(in.Number, key)
			if err != nil {
				return err
			}
			ds := in.Destinations
			if len(ds) == 0 {
				ds = map[string]queue.DestState{s.dests[0].name: {State: in.State, ConfirmedAction: in.ConfirmedAction,
					ConfirmedOccur: in.ConfirmedOccur, ConfirmedAt: in.ConfirmedAt, ConfirmedExpires: in.ConfirmedExpires,
					LastError: in.LastError}}
			}
			ns.FirstRequestedAt, ns.LastEventAt = in.FirstRequestedAt, in.LastEventAt
			for name, d := range ds {
				dest := s.destNamed(name)
				if dest == nil {
					return fmt.Errorf("%s has a state for destination %q, which is not configured here", in.Number, name)
				}
				d = queue.Restored(d, true)
				v := queue.NumberState{Number: in.Number, State: d.State, ConfirmedAction: d.ConfirmedAction,
					ConfirmedOccur: d.ConfirmedOccur, ConfirmedAt: d.ConfirmedAt, ConfirmedExpires: d.ConfirmedExpires,
					LastError: d.LastError}
				if dest == s.dests[0] {
					v.FirstRequestedAt, v.LastEventAt = ns.FirstRequestedAt, ns.LastEventAt
					ns.NumberState = v
					continue
				}
				if err := t.on(dest).dstate.Put([]byte(in.Number), encodeState(&numState{NumberState: v})); err != nil {
					return err
				}
			}
			if err := t.trail.Put(stateKey(key), encodeState(ns)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return unavailable("restore states", err)
	}
	return nil
}

func (s *Store) destNamed(name string) *destBuckets {
	for _, d := range s.dests {
		if d.name == name {
			return d
		}
	}
	return nil
}

var entryStates = map[queue.EntryStatus]state{queue.EntryReady: stateReady, queue.EntryLeased: stateLeased,
	queue.EntryDead: stateDead}

// RestoreEntries puts entries in their destinations' queues as they are: ready at their due time,
// dead with their error, at their place in line with their attempts and lost leases; one still
// leased keeps its lease until the deadline, after which Recover returns it to ready.
func (s *Store) RestoreEntries(ctx context.Context, entries []queue.Entry) error {
	if err := s.writable("restore entries"); err != nil {
		return err
	}
	err := s.write(ctx, s.db.Update, func(tx *bolt.Tx) error {
		t := s.begin(tx)
		for _, e := range entries {
			d, st := s.destNamed(e.Dest), entryStates[e.Status]
			if d == nil || st == 0 {
				return fmt.Errorf("an entry of %s is for destination %q (%s), which is not configured here", e.Item.Number, e.Dest, e.Status)
			}
			v := t.on(d)
			if err := v.drop(e.Item.Number); err != nil {
				return err
			}
			if err := v.move(&record{item: e.Item}, st, e.At.UnixMilli()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return unavailable("restore entries", err)
	}
	return nil
}

// drop removes number's entry, if any, with its indexes.
func (t *txn) drop(number string) error {
	r, err := t.get(number)
	if err != nil || r == nil {
		return err
	}
	return t.remove(r)
}

// RemoveEntries takes entries out of their destinations' queues without a record: those a run of
// migrate-store finds here that the store moved from no longer holds.
func (s *Store) RemoveEntries(ctx context.Context, entries []queue.Entry) error {
	if err := s.writable("remove entries"); err != nil {
		return err
	}
	err := s.write(ctx, s.db.Update, func(tx *bolt.Tx) error {
		t := s.begin(tx)
		for _, e := range entries {
			if d := s.destNamed(e.Dest); d != nil {
				if err := t.on(d).drop(e.Item.Number); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return unavailable("remove entries", err)
	}
	return nil
}

// RestoreEventIDs remembers event ids until their own expiry; those expired are left out.
func (s *Store) RestoreEventIDs(ctx context.Context, ids []queue.EventID) error {
	if err := s.writable("restore event ids"); err != nil {
		return err
	}
	now := s.now().UnixMilli()
	err := s.write(ctx, s.db.Update, func(tx *bolt.Tx) error {
		t := s.begin(tx)
		for _, id := range ids {
			exp := id.Expires.UnixMilli()
			if exp <= now {
				continue
			}
			key := eventKey(id.ID, id.Number)
			if v := t.events.Get([]byte(key)); len(v) == 8 {
				if err := t.eventExp.Delete(timeKey(int64(binary.BigEndian.Uint64(v)), key)); err != nil {
					return err
				}
			}
			if err := t.events.Put([]byte(key), binary.BigEndian.AppendUint64(nil, uint64(exp))); err != nil {
				return err
			}
			if err := t.eventExp.Put(timeKey(exp, key), nil); err != nil {
				return err
			}
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
	if err := s.writable("restore last confirmed"); err != nil {
		return err
	}
	d := s.destNamed(dest)
	if at.IsZero() || d == nil {
		return nil
	}
	err := s.write(ctx, s.db.Update, func(tx *bolt.Tx) error {
		return tx.Bucket(bMeta).Put(d.lastConfirmed, binary.BigEndian.AppendUint64(nil, uint64(at.UnixMilli())))
	})
	if err != nil {
		return unavailable("restore last confirmed", err)
	}
	return nil
}
