package boltq

import (
	"context"
	"fmt"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
	bolt "go.etcd.io/bbolt"
)

// The answers of a pusher only apply to the lease they were given: an entry that is gone,
// not leased, or leased under another token is left alone and the call still succeeds, because
// the pusher can do nothing better with an error.

// Ack removes the entries CXone confirmed, in one transaction, and records each confirmation: the
// number's state and an AuditConfirmed record of what was pushed (with the occurredAt of the latest
// event it answers).
func (s *Store) Ack(ctx context.Context, items []queue.Item) error {
	if err := s.writable("ack"); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("boltq: ack: %w", err)
	}
	if len(items) == 0 {
		return nil
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		t := s.begin(tx)
		for _, it := range items {
			r, err := t.holder(it)
			if err != nil {
				return err
			}
			if r != nil {
				pushed := it
				if r.item.Version == it.Version {
					// Unchanged since the claim: later events merged in asked for the same thing, so
					// what CXone now has answers the latest of them (as in redisq's ack.lua).
					pushed.OccurredAt = r.item.OccurredAt
				}
				if err := t.confirmed(pushed); err != nil {
					return err
				}
				if err := t.noteConfirmed(tx); err != nil { // Operations.LastConfirmed
					return err
				}
			}
			switch {
			case r == nil:
			case r.item.Version != it.Version:
				// An event changed what to push while this push was in flight: push again, at the
				// entry's old place in line. This push succeeded, so the failures before it no longer
				// count against the entry (as in redisq).
				r.item.Attempts = 0
				err = t.move(r, stateReady, ms(r.item.FirstReceivedAt))
			default:
				err = t.remove(r)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return unavailable("ack", err)
	}
	return nil
}

// Retry returns a leased entry to ready at now+delay, spending an attempt, with an AuditFailed
// record. The failure of what the entry no longer asks for spends nothing: if its Version changed
// since the claim, its attempts start again.
func (s *Store) Retry(ctx context.Context, item queue.Item, delay time.Duration, errMsg string) error {
	return s.requeue(ctx, "retry", item, delay, errMsg, true)
}

// Snooze returns a leased entry to ready at now+delay without spending an attempt (waiting out a
// rate limit or an outage is not the entry's failure), with an AuditFailed record.
func (s *Store) Snooze(ctx context.Context, item queue.Item, delay time.Duration, errMsg string) error {
	return s.requeue(ctx, "snooze", item, delay, errMsg, false)
}

func (s *Store) requeue(ctx context.Context, op string, item queue.Item, delay time.Duration, errMsg string, spend bool) error {
	if err := s.writable(op); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("boltq: %s: %w", op, err)
	}
	due := ms(s.now().Add(delay))
	err := s.db.Update(func(tx *bolt.Tx) error {
		t := s.begin(tx)
		r, err := t.holder(item)
		if err != nil || r == nil {
			return err
		}
		r.item.LastError = errMsg
		switch {
		case r.item.Version != item.Version:
			r.item.Attempts = 0
		case spend:
			r.item.Attempts++
		}
		// The record names what was pushed and failed: the action as claimed.
		if err := t.failure(r.item.Number, queue.AuditFailed, item.Action, errMsg, true); err != nil {
			return err
		}
		return t.move(r, stateReady, due)
	})
	if err != nil {
		return unavailable(op, err)
	}
	return nil
}

// DeadLetter moves a leased entry to the dead set with its last error, with an AuditDead record.
// An entry whose Version changed since the claim is not dead: what failed is no longer what it asks
// for, so it goes back to ready at its place in line with fresh attempts (an AuditFailed record).
func (s *Store) DeadLetter(ctx context.Context, item queue.Item, errMsg string) error {
	if err := s.writable("dead letter"); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("boltq: dead letter: %w", err)
	}
	at := ms(s.now())
	err := s.db.Update(func(tx *bolt.Tx) error {
		t := s.begin(tx)
		r, err := t.holder(item)
		if err != nil || r == nil {
			return err
		}
		r.item.LastError = errMsg
		if r.item.Version != item.Version {
			// As redisq: the record names the action that failed; the number's last error stays.
			r.item.Attempts = 0
			if err := t.failure(r.item.Number, queue.AuditFailed, item.Action, errMsg, false); err != nil {
				return err
			}
			return t.move(r, stateReady, ms(r.item.FirstReceivedAt))
		}
		if err := t.failure(r.item.Number, queue.AuditDead, r.item.Action, errMsg, true); err != nil {
			return err
		}
		return t.move(r, stateDead, at)
	})
	if err != nil {
		return unavailable("dead letter", err)
	}
	return nil
}
