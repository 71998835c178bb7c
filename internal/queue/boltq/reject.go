package boltq

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
	bolt "go.etcd.io/bbolt"
)

// Rejected input is held to queue.RejectionLimits (see queue/rejections.go):
//
//   - rejections: sequence (8 bytes BE) -> encoded rejection (rejectionV3: with its hash and the
//     sequence of its audit record). Sequence order is arrival order: the oldest go first.
//   - rejseen: Rejection.Identity -> its sequence: a rejection seen again is a duplicate.
//   - meta "rejstats": the counters (rejStats); kept is what the cap compares, so that no write
//     counts the bucket.
//
// A rejection goes whole (forgetRejection): its entry, its identity, its audit record and pointer,
// and its key's state when nothing else is left of the key.

// rejStats are the counters of queue.RejectionStats that the file keeps.
type rejStats struct {
	kept, recorded, duplicates, shed, skipped int64
}

const rejStatsV1 byte = 1

func (st rejStats) encode() []byte {
	b := []byte{rejStatsV1}
	for _, n := range []int64{st.kept, st.recorded, st.duplicates, st.shed, st.skipped} {
		b = binary.AppendVarint(b, n)
	}
	return b
}

func decodeRejStats(v []byte) (rejStats, error) {
	if v == nil {
		return rejStats{}, nil
	}
	d := decoder{b: v}
	if f := d.byte(); f != rejStatsV1 {
		return rejStats{}, fmt.Errorf("rejection counters format %d unknown", f)
	}
	st := rejStats{kept: d.varint(), recorded: d.varint(), duplicates: d.varint(), shed: d.varint(), skipped: d.varint()}
	return st, d.done()
}

func (t *txn) rejStats() (rejStats, error) {
	return decodeRejStats(t.tx.Bucket(bMeta).Get(keyRejStats))
}

func (t *txn) putRejStats(st rejStats) error {
	return t.tx.Bucket(bMeta).Put(keyRejStats, st.encode())
}

// crowded reports whether the store is past its share of the filesystem for rejections. A usage
// that cannot be read crowds nothing: the write then fails or not as the disk decides.
func (s *Store) crowded() bool {
	used, limit, err := s.usage()
	return err == nil && limit > 0 && float64(used) >= s.rejLimits.MaxFill*float64(limit)
}

// shedPerWrite bounds the oldest rejections one Reject sheds past the cap (more than it writes, so
// that a lowered cap is reached); TrimRejections sheds the rest in batches.
const shedPerWrite = 64

// Reject records each rejection (bounded: queue.Rejection.Bound) in its key's trail (see rejected),
// and rejected input, not ignored words, also under the next sequence number, so that key order is
// arrival order, held to the store's rejection limits. A flood of bad input arrives as concurrently
// as good input, so it shares commits through db.Batch.
func (s *Store) Reject(ctx context.Context, rs ...queue.Rejection) error {
	if err := s.writable("reject"); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("boltq: reject: %w", err)
	}
	if len(rs) == 0 {
		return nil
	}
	bounded := make([]queue.Rejection, len(rs))
	rejected := false
	for i, r := range rs {
		bounded[i] = r.Bound()
		rejected = rejected || bounded[i].Kind == queue.AuditRejected
	}
	crowded := rejected && s.crowded()
	err := s.write(ctx, s.db.Batch, func(tx *bolt.Tx) error {
		t := s.begin(tx)
		st, err := t.rejStats()
		if err != nil {
			return err
		}
		for i := range bounded {
			r := &bounded[i]
			if r.Kind != queue.AuditRejected {
				if _, err := t.rejected(r); err != nil {
					return err
				}
				continue
			}
			id := r.Identity()
			switch {
			case id != "" && t.seen.Get([]byte(id)) != nil:
				st.duplicates++
				continue
			case crowded:
				st.skipped++
				continue
			}
			audit, err := t.rejected(r)
			if err != nil {
				return err
			}
			seq, err := t.rejections.NextSequence()
			if err != nil {
				return err
			}
			if err := t.rejections.Put(seqKey(seq), encodeRejection(*r, audit)); err != nil {
				return err
			}
			if id != "" {
				if err := t.seen.Put([]byte(id), seqKey(seq)); err != nil {
					return err
				}
			}
			st.kept++
			st.recorded++
		}
		if _, err := t.shed(&st, int64(s.rejLimits.Cap), shedPerWrite, 0); err != nil {
			return err
		}
		return t.putRejStats(st)
	})
	if err != nil {
		return unavailable("reject", err)
	}
	return nil
}

// shed drops up to most of the oldest rejections: those past the cap (counted as shed) and, while
// cut is above zero, those received before cut (past retention). It returns how many went.
func (t *txn) shed(st *rejStats, cap int64, most int, cut int64) (int, error) {
	n := 0
	for n < most {
		over := st.kept > cap
		if !over && cut <= 0 {
			return n, nil
		}
		k, v := t.rejections.Cursor().First()
		if k == nil {
			st.kept = 0 // nothing is kept, whatever the counter said
			return n, nil
		}
		if !over {
			r, err := decodeRejection(v)
			if err != nil {
				return n, fmt.Errorf("rejection %x: %w", k, err)
			}
			if ms(r.ReceivedAt) >= cut {
				return n, nil
			}
		}
		if err := t.forgetRejection(append([]byte(nil), k...), v); err != nil {
			return n, err
		}
		st.kept--
		if over {
			st.shed++
		}
		n++
	}
	return n, nil
}

// forgetRejection deletes the rejection under key k (value v) whole.
func (t *txn) forgetRejection(k, v []byte) error {
	r, audit, err := decodeStoredRejection(v)
	if err != nil {
		return fmt.Errorf("rejection %x: %w", k, err)
	}
	if err := t.rejections.Delete(k); err != nil {
		return err
	}
	if id := r.Identity(); id != "" && bytes.Equal(t.seen.Get([]byte(id)), k) {
		if err := t.seen.Delete([]byte(id)); err != nil {
			return err
		}
	}
	if audit == 0 {
		return nil // written before rejections knew their audit record: that stays for TrimAudit
	}
	return t.forgetRecord(r.Key, audit)
}

// forgetRecord deletes the audit record seq of key (a number or a rejection key; "": none) and its
// pointer. When it was the key's newest, the one before it becomes the newest; when none is left,
// a key that only ever saw rejected input is forgotten.
func (t *txn) forgetRecord(key string, seq uint64) error {
	if err := t.audit.Delete(seqKey(seq)); err != nil {
		return err
	}
	if key == "" {
		return nil
	}
	tk := trailKey(key)
	if err := t.trail.Delete(pointerKey(tk, seq)); err != nil {
		return err
	}
	st, err := t.state(key, tk)
	if err != nil || st.newest != seq {
		return err
	}
	prefix := stateKey(tk)
	c := t.trail.Cursor()
	k, _ := c.Seek(pointerKey(tk, seq))
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	if len(k) == len(prefix)+8 && bytes.HasPrefix(k, prefix) {
		st.newest = seqOf(k[len(prefix):])
		return t.trail.Put(prefix, encodeState(st))
	}
	if st.State == queue.StateRejected {
		return t.trail.Delete(prefix)
	}
	st.newest = 0
	return t.trail.Put(prefix, encodeState(st))
}

// TrimRejections drops the rejections received before cutoff and the oldest past the cap, from
// the front, in transactions of at most trimBatch.
func (s *Store) TrimRejections(ctx context.Context, cutoff time.Time) (int, error) {
	if err := s.writable("trim rejections"); err != nil {
		return 0, err
	}
	var cut int64 // 0: no cutoff (the cap only), as redisq reads a zero time
	if !cutoff.IsZero() {
		cut = max(ms(cutoff), 1)
	}
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, fmt.Errorf("boltq: trim rejections: %w", err)
		}
		var n int
		err := s.db.Update(func(tx *bolt.Tx) error {
			t := s.begin(tx)
			st, err := t.rejStats()
			if err != nil {
				return err
			}
			if n, err = t.shed(&st, int64(s.rejLimits.Cap), trimBatch, cut); err != nil {
				return err
			}
			return t.putRejStats(st)
		})
		if err != nil {
			return total, unavailable("trim rejections", err)
		}
		total += n
		if n < trimBatch {
			return total, nil
		}
	}
}

// RejectionStats reads the counters and the filesystem's fill.
func (s *Store) RejectionStats(ctx context.Context) (queue.RejectionStats, error) {
	if err := ctx.Err(); err != nil {
		return queue.RejectionStats{}, fmt.Errorf("boltq: rejection stats: %w", err)
	}
	var st rejStats
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		st, err = s.buckets(tx).rejStats()
		return err
	})
	if err != nil {
		return queue.RejectionStats{}, unavailable("rejection stats", err)
	}
	out := queue.RejectionStats{Kept: st.kept, Cap: int64(s.rejLimits.Cap), Recorded: st.recorded,
		Duplicates: st.duplicates, Shed: st.shed, Skipped: st.skipped, Fill: -1}
	if used, limit, err := s.usage(); err == nil && limit > 0 {
		out.Fill = float64(used) / float64(limit)
	}
	return out, nil
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
