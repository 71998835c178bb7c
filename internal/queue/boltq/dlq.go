package boltq

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/dncsync/dncsync/internal/queue"
)

var _ queue.Operations = (*Store)(nil)

// keyLastConfirmed in the meta bucket holds the time (unix ms, 8 bytes) of the newest Ack that
// confirmed something.
var keyLastConfirmed = []byte("lastconfirmed")

// DeadLetters lists dead entries, oldest dead first, with their last errors.
func (s *Store) DeadLetters(ctx context.Context, limit int) ([]queue.DeadLetter, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("boltq: dead letters: %w", err)
	}
	var out []queue.DeadLetter
	err := s.db.View(func(tx *bolt.Tx) error {
		out = nil
		t := s.buckets(tx)
		for _, d := range t.oldestDead(limit) {
			r, err := t.get(d.number)
			if err != nil {
				return err
			}
			if r == nil {
				continue
			}
			it := r.item
			out = append(out, queue.DeadLetter{Number: it.Number, Action: it.Action, Raw: it.Raw, Source: it.Source,
				LastError: it.LastError, Attempts: it.Attempts, FirstReceivedAt: it.FirstReceivedAt,
				DeadAt: time.UnixMilli(d.at).UTC()})
		}
		return nil
	})
	if err != nil {
		return nil, unavailable("dead letters", err)
	}
	return out, nil
}

// RedriveNumbers re-queues the named dead letters in one transaction.
func (s *Store) RedriveNumbers(ctx context.Context, numbers []string) ([]string, error) {
	if err := s.writable("redrive numbers"); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("boltq: redrive numbers: %w", err)
	}
	var done []string
	err := s.db.Update(func(tx *bolt.Tx) error {
		done = nil
		t := s.begin(tx)
		now := ms(s.now())
		for _, n := range numbers {
			ok, err := t.requeue(n, now)
			if err != nil {
				return err
			}
			if ok {
				done = append(done, n)
			}
		}
		return nil
	})
	if err != nil {
		return nil, unavailable("redrive numbers", err)
	}
	return done, nil
}

// DropDead removes the named dead letters in one transaction, each with an AuditDropped record
// carrying reason; the number's state becomes dropped and keeps its last error.
func (s *Store) DropDead(ctx context.Context, numbers []string, reason string) ([]string, error) {
	if err := s.writable("drop dead"); err != nil {
		return nil, err
	}
	if strings.TrimSpace(reason) == "" {
		return nil, fmt.Errorf("boltq: drop: %w", queue.ErrNoReason)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("boltq: drop: %w", err)
	}
	var done []string
	err := s.db.Update(func(tx *bolt.Tx) error {
		done = nil
		t := s.begin(tx)
		for _, n := range numbers {
			r, err := t.get(n)
			if err != nil {
				return err
			}
			if r == nil || r.state != stateDead {
				continue
			}
			if err := t.remove(r); err != nil {
				return err
			}
			if err := t.destRecord(n, queue.AuditRecord{Kind: queue.AuditDropped, Number: n,
				Action: r.item.Action, Detail: reason},
				func(st *queue.NumberState) { st.State = queue.StateDropped }); err != nil {
				return err
			}
			done = append(done, n)
		}
		return nil
	})
	if err != nil {
		return nil, unavailable("drop", err)
	}
	return done, nil
}

// RejectionsSince walks the rejections from the newest back to the first received before since
// (sequence order is arrival order).
func (s *Store) RejectionsSince(ctx context.Context, since time.Time, limit int) ([]queue.Rejection, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("boltq: rejections since: %w", err)
	}
	var out []queue.Rejection
	err := s.db.View(func(tx *bolt.Tx) error {
		out = nil
		c := tx.Bucket(bRejections).Cursor()
		for k, v := c.Last(); k != nil && len(out) < limit; k, v = c.Prev() {
			r, err := decodeRejection(v)
			if err != nil {
				return fmt.Errorf("rejection %x: %w", k, err)
			}
			if !since.IsZero() && ms(r.ReceivedAt) < ms(since) {
				break
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, unavailable("rejections since", err)
	}
	return out, nil
}

// LastConfirmed reads the time Ack keeps in the meta bucket.
func (s *Store) LastConfirmed(ctx context.Context) (time.Time, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, fmt.Errorf("boltq: last confirmed: %w", err)
	}
	var at time.Time
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bMeta).Get(s.d.lastConfirmed); len(v) == 8 {
			at = time.UnixMilli(int64(binary.BigEndian.Uint64(v))).UTC()
		}
		return nil
	})
	if err != nil {
		return time.Time{}, unavailable("last confirmed", err)
	}
	return at, nil
}

// noteConfirmed records that this transaction confirmed a push (for LastConfirmed).
func (t *txn) noteConfirmed(tx *bolt.Tx) error {
	return tx.Bucket(bMeta).Put(t.d.lastConfirmed, binary.BigEndian.AppendUint64(nil, uint64(t.stamp())))
}
