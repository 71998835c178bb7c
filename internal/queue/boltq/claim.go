package boltq

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
	bolt "go.etcd.io/bbolt"
)

// Claim leases up to limit entries due at or before now, earliest due first, until now+lease.
// bbolt runs one writer at a time, so concurrent claims never hand out the same entry.
func (s *Store) Claim(ctx context.Context, limit int, lease time.Duration) ([]queue.Item, error) {
	if err := s.writable("claim"); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("boltq: claim: %w", err)
	}
	if limit <= 0 {
		return nil, nil
	}
	now := s.now()
	nowMs, deadline := ms(now), ms(now.Add(lease))
	var out []queue.Item
	err := s.db.Update(func(tx *bolt.Tx) error {
		out = nil
		t := s.buckets(tx)
		for _, k := range due(t.ready, nowMs, limit) {
			_, number := splitTimeKey(k)
			r, err := t.get(number)
			if err != nil {
				return err
			}
			if stale(r, stateReady, k) {
				if err := t.ready.Delete(k); err != nil {
					return err
				}
				continue
			}
			r.item.Lease = newToken()
			if err := t.move(r, stateLeased, deadline); err != nil {
				return err
			}
			out = append(out, r.item)
		}
		return nil
	})
	if err != nil {
		return nil, unavailable("claim", err)
	}
	return out, nil
}

// NextDue is the due time of the earliest ready entry.
func (s *Store) NextDue(ctx context.Context) (time.Time, bool, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, false, fmt.Errorf("boltq: next due: %w", err)
	}
	var at int64
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(s.d.ready).Cursor().First()
		if k != nil {
			at, _ = splitTimeKey(k)
			ok = true
		}
		return nil
	})
	if err != nil {
		return time.Time{}, false, unavailable("next due", err)
	}
	if !ok {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(at).UTC(), true, nil
}

// newToken is a lease token: random, so that a pusher whose lease was recovered cannot answer
// for the next holder.
func newToken() string {
	var b [16]byte
	rand.Read(b[:]) // never fails: crypto/rand crashes the program rather than return short
	return hex.EncodeToString(b[:])
}
