package boltq

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
	bolt "go.etcd.io/bbolt"
)

// bSessions holds revoked console sessions: id -> until ms (8 bytes BE). It is created by the first
// revocation, so files without one are read as they are.
var bSessions = []byte("sessions")

var _ queue.Sessions = (*Store)(nil)

// RevokeSession records id as ended until until, and forgets the records whose time has passed
// (sign-outs are rare: the bucket stays small).
func (s *Store) RevokeSession(ctx context.Context, id string, until time.Time) error {
	if err := s.writable("revoke session"); err != nil {
		return err
	}
	now := ms(s.now())
	if ms(until) <= now {
		return nil
	}
	err := s.write(ctx, s.db.Update, func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bSessions)
		if err != nil {
			return err
		}
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(v) != 8 || int64(binary.BigEndian.Uint64(v)) <= now {
				if err := c.Delete(); err != nil {
					return err
				}
			}
		}
		return b.Put([]byte(id), binary.BigEndian.AppendUint64(nil, uint64(ms(until))))
	})
	if err != nil {
		return fmt.Errorf("boltq: revoke session: %w", err)
	}
	return nil
}

// SessionRevoked reports whether id was revoked and its record's time has not passed.
func (s *Store) SessionRevoked(ctx context.Context, id string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	revoked := false
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bSessions)
		if b == nil {
			return nil
		}
		v := b.Get([]byte(id))
		revoked = len(v) == 8 && int64(binary.BigEndian.Uint64(v)) > ms(s.now())
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("boltq: session revoked: %w", err)
	}
	return revoked, nil
}
