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

// Entries calls fn with every destination's entries, ready, leased and dead, in one read
// transaction (a consistent view): what `dncsync migrate-store` moves.
func (s *Store) Entries(ctx context.Context, fn func(queue.Entry) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		for _, d := range s.dests {
			b := tx.Bucket(d.items)
			if b == nil {
				continue
			}
			err := b.ForEach(func(k, v []byte) error {
				if err := ctx.Err(); err != nil {
					return err
				}
				r, err := decodeRecord(string(k), v)
				if err != nil {
					return fmt.Errorf("boltq: entry of %s for %s: %w", k, d.name, err)
				}
				st := queue.EntryReady
				switch r.state {
				case stateLeased:
					st = queue.EntryLeased
				case stateDead:
					st = queue.EntryDead
				}
				return fn(queue.Entry{Dest: d.name, Item: r.item, Status: st, At: time.UnixMilli(r.at).UTC()})
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// EventIDs calls fn with every event id remembered and not yet expired. An id so long that it is
// kept by its digest (eventKey) cannot be told and is left out: a retry of it after the move is
// taken as a new request, which merges into the number's entry and changes nothing it was told.
func (s *Store) EventIDs(ctx context.Context, fn func(queue.EventID) error) error {
	now := s.now().UnixMilli()
	return s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bEvents).ForEach(func(k, v []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			id, number, ok := strings.Cut(string(k), "\x00")
			if !ok || len(v) != 8 || k[0] == 0xff {
				return nil
			}
			exp := int64(binary.BigEndian.Uint64(v))
			if exp <= now {
				return nil
			}
			return fn(queue.EventID{ID: id, Number: number, Expires: time.UnixMilli(exp).UTC()})
		})
	})
}
