package boltq

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/dncsync/dncsync/internal/queue"
	bolt "go.etcd.io/bbolt"
)

// Reject records each rejection (bounded: queue.Rejection.Bound) in its key's trail (see rejected),
// and rejected input, not ignored words, also under the next sequence number, so that key order is
// arrival order. A flood of bad input arrives as concurrently as good input, so it shares commits
// through db.Batch.
func (s *Store) Reject(ctx context.Context, rs ...queue.Rejection) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("boltq: reject: %w", err)
	}
	if len(rs) == 0 {
		return nil
	}
	bounded := make([]queue.Rejection, len(rs))
	for i, r := range rs {
		bounded[i] = r.Bound()
	}
	err := s.write(ctx, s.db.Batch, func(tx *bolt.Tx) error {
		t := s.begin(tx)
		for i := range bounded {
			r := &bounded[i]
			if r.Kind == queue.AuditRejected {
				seq, err := t.rejections.NextSequence()
				if err != nil {
					return err
				}
				if err := t.rejections.Put(binary.BigEndian.AppendUint64(nil, seq), encodeRejection(*r)); err != nil {
					return err
				}
			}
			if err := t.rejected(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return unavailable("reject", err)
	}
	return nil
}

// Rejections returns up to limit rejections, newest first.
func (s *Store) Rejections(ctx context.Context, limit int) ([]queue.Rejection, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("boltq: rejections: %w", err)
	}
	var out []queue.Rejection
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bRejections).Cursor()
		for k, v := c.Last(); k != nil && len(out) < limit; k, v = c.Prev() {
			r, err := decodeRejection(v)
			if err != nil {
				return fmt.Errorf("rejection %x: %w", k, err)
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, unavailable("rejections", err)
	}
	return out, nil
}
