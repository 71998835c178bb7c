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

// Ack removes the entries CXone confirmed, in one transaction.
func (s *Store) Ack(ctx context.Context, items []queue.Item) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("boltq: ack: %w", err)
	}
	if len(items) == 0 {
		return nil
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		t := buckets(tx)
		for _, it := range items {
			r, err := t.holder(it)
			if err != nil {
				return err
			}
			switch {
			case r == nil:
			case r.item.Version != it.Version:
				// An event changed what to push while this push was in flight: push again, at the
				// entry's old place in line.
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

// Retry returns a leased entry to ready at now+delay. A snooze (countAttempt false) keeps the
// attempt count: waiting out a rate limit is not the entry's failure.
func (s *Store) Retry(ctx context.Context, item queue.Item, delay time.Duration, errMsg string, countAttempt bool) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("boltq: retry: %w", err)
	}
	due := ms(s.now().Add(delay))
	err := s.db.Update(func(tx *bolt.Tx) error {
		t := buckets(tx)
		r, err := t.holder(item)
		if err != nil || r == nil {
			return err
		}
		r.item.LastError = errMsg
		if countAttempt {
			r.item.Attempts++
		}
		return t.move(r, stateReady, due)
	})
	if err != nil {
		return unavailable("retry", err)
	}
	return nil
}

// DeadLetter moves a leased entry to the dead set with its last error.
func (s *Store) DeadLetter(ctx context.Context, item queue.Item, errMsg string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("boltq: dead letter: %w", err)
	}
	at := ms(s.now())
	err := s.db.Update(func(tx *bolt.Tx) error {
		t := buckets(tx)
		r, err := t.holder(item)
		if err != nil || r == nil {
			return err
		}
		r.item.LastError = errMsg
		return t.move(r, stateDead, at)
	})
	if err != nil {
		return unavailable("dead letter", err)
	}
	return nil
}
