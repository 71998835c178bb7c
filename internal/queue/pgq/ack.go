package pgq

import (
	"context"
	"fmt"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// The answers of a pusher only apply to the lease they were given: an entry that is gone, not
// leased, or leased under another token is left alone and the call still succeeds.

func numbersOf(items []queue.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Number
	}
	return out
}

// Ack removes the entries the destination confirmed and records each confirmation.
func (s *Store) Ack(ctx context.Context, items []queue.Item) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("pgq: ack: %w", err)
	}
	if len(items) == 0 {
		return nil
	}
	d := s.d.name
	err := s.write(ctx, func(u *uow) error {
		if err := u.load(ctx, numbersOf(items), nil); err != nil {
			return err
		}
		for _, it := range items {
			r := u.holder(d, it)
			if r == nil {
				continue
			}
			pushed := it
			if r.item.Version == it.Version {
				// Unchanged since the claim: what the destination now has answers the latest merged event.
				pushed.OccurredAt = r.item.OccurredAt
			}
			u.confirmed(d, pushed)
			if r.item.Version != it.Version {
				// An event changed what to push while in flight: push again at its old place in line.
				r.item.Attempts = 0
				u.move(r, "ready", r.item.FirstReceivedAt)
			} else {
				u.remove(r)
			}
		}
		return nil
	})
	if err != nil {
		return unavailable("ack", err)
	}
	return nil
}

// Retry returns a leased entry to ready at now+delay, spending an attempt, with an AuditFailed record.
func (s *Store) Retry(ctx context.Context, item queue.Item, delay time.Duration, errMsg string) error {
	return s.requeue(ctx, "retry", item, delay, errMsg, true)
}

// Snooze returns a leased entry to ready at now+delay without spending an attempt.
func (s *Store) Snooze(ctx context.Context, item queue.Item, delay time.Duration, errMsg string) error {
	return s.requeue(ctx, "snooze", item, delay, errMsg, false)
}

func (s *Store) requeue(ctx context.Context, op string, item queue.Item, delay time.Duration, errMsg string, spend bool) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("pgq: %s: %w", op, err)
	}
	d := s.d.name
	err := s.write(ctx, func(u *uow) error {
		if err := u.load(ctx, []string{item.Number}, nil); err != nil {
			return err
		}
		r := u.holder(d, item)
		if r == nil {
			return nil
		}
		r.item.LastError = errMsg
		switch {
		case r.item.Version != item.Version:
			r.item.Attempts = 0
		case spend:
			r.item.Attempts++
		}
		u.failure(d, item.Number, queue.AuditFailed, item.Action, errMsg, true)
		u.move(r, "ready", u.now.Add(delay))
		return nil
	})
	if err != nil {
		return unavailable(op, err)
	}
	return nil
}

// DeadLetter moves a leased entry to the dead set with its last error (AuditDead); one whose
// Version changed since the claim goes back to ready at its place in line instead (boltq says why).
func (s *Store) DeadLetter(ctx context.Context, item queue.Item, errMsg string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("pgq: dead letter: %w", err)
	}
	d := s.d.name
	err := s.write(ctx, func(u *uow) error {
		if err := u.load(ctx, []string{item.Number}, nil); err != nil {
			return err
		}
		r := u.holder(d, item)
		if r == nil {
			return nil
		}
		r.item.LastError = errMsg
		if r.item.Version != item.Version {
			r.item.Attempts = 0
			u.failure(d, item.Number, queue.AuditFailed, item.Action, errMsg, false)
			u.move(r, "ready", r.item.FirstReceivedAt)
			return nil
		}
		u.failure(d, item.Number, queue.AuditDead, r.item.Action, errMsg, true)
		u.move(r, "dead", u.now)
		return nil
	})
	if err != nil {
		return unavailable("dead letter", err)
	}
	return nil
}
