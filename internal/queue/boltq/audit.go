package boltq

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
	bolt "go.etcd.io/bbolt"
)

// The audit trail is kept once, in write order, with what is needed to find it by number:
//
//   - audit: sequence (NextSequence, 8 bytes big-endian) -> encoded queue.AuditRecord, number
//     included. Key order is write order, which Export streams and TrimAudit trims from the front.
//   - trail: per number (its trail key, see trailKey), key+0x00 -> its state (numState: the
//     queue.NumberState and the sequence of its newest record), and key+0x00+sequence -> nothing
//     for each of its records. A lookup is one prefix scan. The state and the pointers of a number
//     share a bucket so that they are neighbours on one page: recording an event dirties one page
//     of the bucket for the number, not one page in each of two buckets.
//
// Every record is written by the transaction of the queue change it witnesses, so the trail
// never claims a change that did not commit, nor misses one that did.

// maxTrailKeyLen keeps trail keys well inside bbolt's key size limit. Numbers are at most
// maxNumberLen; a rejection key is the raw input's digits (or the input itself) and can be long.
const maxTrailKeyLen = 256

// trailKey is the key of a number's state and records in the trail bucket: the number itself, or
// for one that is long, contains a 0x00 byte (the separator) or starts with 0xff, 0xff followed by
// the hex SHA-256 of the number. No trail key contains 0x00, so the prefix key+0x00 holds exactly
// one number's keys.
func trailKey(number string) string {
	if len(number) <= maxTrailKeyLen && !strings.Contains(number, "\x00") &&
		(number == "" || number[0] != 0xff) {
		return number
	}
	sum := sha256.Sum256([]byte(number))
	return "\xff" + hex.EncodeToString(sum[:])
}

func stateKey(key string) []byte { return append([]byte(key), 0) }

func pointerKey(key string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(stateKey(key), seq)
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

func seqOf(k []byte) uint64 {
	if len(k) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(k)
}

// splitTrailKey tells a trail bucket key apart: its trail key and, for a pointer (pointer true),
// the sequence of the record it points to; a state has pointer false.
func splitTrailKey(k []byte) (key string, seq uint64, pointer bool, err error) {
	i := bytes.IndexByte(k, 0)
	switch {
	case i < 0:
	case len(k) == i+1:
		return string(k[:i]), 0, false, nil
	case len(k) == i+9:
		return string(k[:i]), binary.BigEndian.Uint64(k[i+1:]), true, nil
	}
	return "", 0, false, fmt.Errorf("trail key %q malformed", k)
}

// state loads the state of the number with trail key key; a number never seen gets an empty one.
func (t *txn) state(number, key string) (*numState, error) {
	v := t.trail.Get(stateKey(key))
	if v == nil {
		return &numState{NumberState: queue.NumberState{Number: number}}, nil
	}
	st, err := decodeState(number, v)
	if err != nil {
		return nil, fmt.Errorf("state of %s: %w", number, err)
	}
	return st, nil
}

// stamp is the time of the audit records this transaction writes: the store's clock, read once,
// but never before the newest record already in the log. Writers are serialized, so At never
// decreases along the log even when the wall clock steps back (the records then carry the last
// time written until the clock catches up, as Redis stream ids do); Export and TrimAudit rely on it.
func (t *txn) stamp() int64 {
	if !t.stamped {
		t.at, t.stamped = ms(t.now()), true
		if k, v := t.audit.Cursor().Last(); k != nil {
			if last, _, err := peekAudit(v); err == nil && last > t.at {
				t.at = last
			}
		}
	}
	return t.at
}

// record appends rec to the log and to the number's trail, and saves st (of the same number,
// under trail key key) with rec as its newest record. A record of key "" joins the log only.
func (t *txn) record(key string, st *numState, rec queue.AuditRecord) error {
	rec.At = time.UnixMilli(t.stamp()).UTC()
	seq, err := t.audit.NextSequence()
	if err != nil {
		return err
	}
	if err := t.audit.Put(seqKey(seq), encodeAudit(&rec)); err != nil {
		return err
	}
	if key == "" {
		return nil // a record of no number (input with nothing to key it by): the log only
	}
	if err := t.trail.Put(pointerKey(key, seq), nil); err != nil {
		return err
	}
	st.newest = seq
	return t.trail.Put(stateKey(key), encodeState(st))
}

// failure records a failed push or a dead letter of number (AuditFailed or AuditDead, with the
// action it names and detail), as Retry, DeadLetter, Recover and the reclaim at open do. A
// failure that leaves the entry queued sets the number's last error only if setErr (all do but
// the dead-letter of an entry that changed in flight, as in redisq); AuditDead always sets it and the
// state dead.
func (t *txn) failure(number string, kind queue.AuditKind, action queue.Action, detail string, setErr bool) error {
	return t.destRecord(number, queue.AuditRecord{Kind: kind, Number: number, Action: action, Detail: detail},
		func(st *queue.NumberState) {
			if kind == queue.AuditDead {
				st.State, setErr = queue.StateDead, true
			}
			if setErr {
				st.LastError = detail
			}
		})
}

// confirmed records that CXone confirmed it, the item as claimed: its Action and OccurredAt are
// what was pushed, whatever merged into the entry since.
func (t *txn) confirmed(it queue.Item) error {
	rec := queue.Confirmed(it)
	rec.ExpiresAt = atMs(it.ExpiresAt)
	return t.destRecord(it.Number, rec, func(st *queue.NumberState) {
		st.State = queue.StateSynced
		if it.Action == queue.Remove {
			st.State = queue.StateRemoved
		}
		st.ConfirmedAction, st.ConfirmedOccur, st.ConfirmedExpires = it.Action, it.OccurredAt, atMs(it.ExpiresAt)
		st.ConfirmedAt = time.UnixMilli(t.stamp()).UTC()
		st.LastError = ""
	})
}

// received updates the first and last receipt of a number.
func received(st *numState, at time.Time) {
	if st.FirstRequestedAt.IsZero() {
		st.FirstRequestedAt = at
	}
	if ms(at) > ms(st.LastEventAt) {
		st.LastEventAt = at
	}
}

// rejected records r (bounded, with its Key) in its key's trail and returns the record's sequence.
// A record of a valid number joins that number's trail and leaves the state of a number seen before
// alone; one of raw input sets its rejection key's state and receipt times; one with no key joins
// the log only.
func (t *txn) rejected(r *queue.Rejection) (uint64, error) {
	rec := queue.AuditRecord{Kind: r.Kind, Number: r.Key, Raw: r.Raw, Reason: r.Said, Detail: r.Reason,
		Region: r.Region, Source: r.Source, Channel: r.Channel, EventID: r.EventID, ReceivedAt: r.ReceivedAt}
	if r.Key == "" {
		err := t.record("", nil, rec)
		return t.audit.Sequence(), err
	}
	key := trailKey(r.Key)
	st, err := t.state(r.Key, key)
	if err != nil {
		return 0, err
	}
	switch {
	case r.Number == "":
		received(st, r.ReceivedAt)
		st.State = queue.State(r.Kind)
	case st.newest == 0 && st.State == "":
		// A valid number never seen: only words that asked for nothing, or a refused event. Its
		// first request is still to come, so the receipt times stay unset (as in redisq).
		st.State = queue.State(r.Kind) // "rejected" or "ignored", the state of the same name
	}
	err = t.record(key, st, rec)
	return t.audit.Sequence(), err
}

var _ queue.Evidence = (*Store)(nil)

// Lookup returns a number's state and one page of its trail. The state says pending or dead while
// the number has an entry in the queue (an entry of a file from before the audit trail has no
// record: found, with an empty trail). Cursors are record sequences.
func (s *Store) Lookup(ctx context.Context, number string, page queue.Page) (queue.History, bool, error) {
	if err := ctx.Err(); err != nil {
		return queue.History{}, false, fmt.Errorf("boltq: lookup: %w", err)
	}
	var before uint64 = math.MaxUint64
	if page.Before != "" {
		n, err := strconv.ParseUint(page.Before, 10, 64)
		if err != nil {
			return queue.History{}, false, queue.ErrBadCursor
		}
		before = n
	}
	var h queue.History
	var found bool
	err := s.db.View(func(tx *bolt.Tx) error {
		h, found = queue.History{}, false
		t := s.buckets(tx)
		key := trailKey(number)
		prefix := stateKey(key)
		if v := t.trail.Get(prefix); v != nil {
			ns, err := decodeState(number, v)
			if err != nil {
				return fmt.Errorf("state of %s: %w", number, err)
			}
			h.State, found = ns.NumberState, true
		}
		// Walk the number's pointers backwards from the cursor: newest first, then reversed.
		c := t.trail.Cursor()
		k, _ := c.Seek(pointerKey(key, before))
		switch {
		case page.Before != "" && !bytes.Equal(k, pointerKey(key, before)):
			return queue.ErrBadCursor
		case k == nil:
			k, _ = c.Last()
		default:
			k, _ = c.Prev()
		}
		size := page.Size()
		var seqs []uint64
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8; k, _ = c.Prev() {
			if len(seqs) == size {
				h.Older = strconv.FormatUint(seqs[len(seqs)-1], 10)
				break
			}
			seqs = append(seqs, binary.BigEndian.Uint64(k[len(prefix):]))
		}
		for i := len(seqs) - 1; i >= 0; i-- {
			// A pointer whose record is gone is skipped, as redisq skips an id not in its stream.
			if rv := t.audit.Get(seqKey(seqs[i])); rv != nil {
				rec, err := decodeAudit(rv)
				if err != nil {
					return fmt.Errorf("audit record %d of %s: %w", seqs[i], number, err)
				}
				h.Records = append(h.Records, rec)
			}
		}
		queued, err := t.fill(number, &h.State)
		if queued {
			found = true
		}
		return err
	})
	if errors.Is(err, queue.ErrBadCursor) {
		return queue.History{}, false, err
	}
	if err != nil {
		return queue.History{}, false, unavailable("lookup", err)
	}
	if found {
		h.State.Number = number
		h.State = h.State.At(s.now())
	}
	return h, found, nil
}

// queued reports whether number has an entry in the queue, and if so sets st.State to what the
// entry says: dead, or else pending, whatever the stored state.
func (t *txn) queued(number string, st *queue.NumberState) bool {
	switch {
	case t.dead.Get([]byte(number)) != nil:
		st.State = queue.StateDead
	case t.items.Get([]byte(number)) != nil:
		st.State = queue.StatePending
	default:
		return false
	}
	return true
}

// statesPage is how many states States reads per read transaction; see exportPage.
const statesPage = 1000

// States calls fn with the state of every number that has one, in key order. Numbers are E.164,
// so their keys start with '+', which no rejection key does ("rejected:..."), nor a digest key
// (0xff): the scan covers that range only. An entry of a file from before the audit trail has no
// state and is not listed, as redisq lists state hashes only.
func (s *Store) States(ctx context.Context, fn func(queue.NumberState) error) error {
	page := make([]queue.NumberState, 0, statesPage)
	from := []byte("+")
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("boltq: states: %w", err)
		}
		var done bool
		err := s.db.View(func(tx *bolt.Tx) error {
			page, done = page[:0], true
			t := s.buckets(tx)
			c := t.trail.Cursor()
			for k, v := c.Seek(from); k != nil && k[0] == '+'; k, v = c.Next() {
				key, _, pointer, err := splitTrailKey(k)
				if err != nil {
					return err
				}
				if pointer {
					continue
				}
				if len(page) == statesPage {
					from, done = append([]byte(nil), k...), false
					return nil
				}
				st, err := decodeState(key, v)
				if err != nil {
					return fmt.Errorf("state of %s: %w", key, err)
				}
				if _, err := t.fill(key, &st.NumberState); err != nil {
					return err
				}
				page = append(page, st.NumberState.At(s.now()))
			}
			return nil
		})
		if err != nil {
			return unavailable("states", err)
		}
		for _, st := range page {
			if err := fn(st); err != nil {
				return err
			}
		}
		if done {
			return nil
		}
	}
}

// exportPage is how many records Export reads per read transaction. It hands them to fn outside
// the transaction: a long read transaction would hold back the file's growth (bbolt remaps under
// an exclusive lock) and with it every write, however slowly the reader's consumer reads.
const exportPage = 1000

// Export streams the records written in [since, until) in write order. Times compare at the
// millisecond the store keeps, as redisq compares stream ids.
func (s *Store) Export(ctx context.Context, since, until time.Time, fn func(queue.AuditRecord) error) error {
	page := make([]queue.AuditRecord, 0, exportPage)
	var next uint64 // the sequence to go on from; 0 before the first page
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("boltq: export: %w", err)
		}
		var done bool
		err := s.db.View(func(tx *bolt.Tx) error {
			page, done = page[:0], true
			c := tx.Bucket(bAudit).Cursor()
			var k, v []byte
			switch {
			case next > 0:
				k, v = c.Seek(seqKey(next))
			case !since.IsZero():
				var err error
				if k, v, err = seekAt(c, ms(since)); err != nil {
					return err
				}
			default:
				k, v = c.First()
			}
			for ; k != nil; k, v = c.Next() {
				if len(page) == exportPage {
					done = false
					return nil
				}
				rec, err := decodeAudit(v)
				if err != nil {
					return fmt.Errorf("audit record %x: %w", k, err)
				}
				if !until.IsZero() && ms(rec.At) >= ms(until) {
					return nil // At never decreases along the log (stamp)
				}
				if since.IsZero() || ms(rec.At) >= ms(since) {
					page = append(page, rec)
				}
				next = seqOf(k) + 1
			}
			return nil
		})
		if err != nil {
			return unavailable("export", err)
		}
		s.readDone()
		for _, rec := range page {
			if err := fn(rec); err != nil {
				return err
			}
		}
		if done {
			return nil
		}
	}
}

// seekAt positions c on the first record written at or after atMs, by binary search over the
// sequence: At never decreases along the log (stamp), so "the first record at or after sequence p
// was written at or after atMs" is false and then true as p grows. Sequences have gaps where
// records were trimmed; a seek lands on the next one that is left.
func seekAt(c *bolt.Cursor, atMs int64) ([]byte, []byte, error) {
	first, _ := c.First()
	last, _ := c.Last()
	if first == nil {
		return nil, nil, nil
	}
	lo, hi := seqOf(first), seqOf(last)+1
	for lo < hi {
		mid := lo + (hi-lo)/2
		k, v := c.Seek(seqKey(mid)) // not nil: mid <= last
		at, _, err := peekAudit(v)
		if err != nil {
			return nil, nil, fmt.Errorf("audit record %x: %w", k, err)
		}
		if at >= atMs {
			hi = mid
		} else {
			lo = seqOf(k) + 1
		}
	}
	k, v := c.Seek(seqKey(lo))
	return k, v, nil
}

// trimBatch bounds the records one trim transaction looks at, so that trimming, which runs while
// the service takes webhooks, holds the writer lock briefly: each record deleted also deletes its
// pointer on a page of its own number, about one random page per record. BenchmarkTrimAudit
// (300,000 records of 100,000 numbers) measured about 16 ms per transaction at 2,000 records and
// 85,000 records/s; 10,000 records took 56 ms per transaction for 120,000 records/s, 500 took
// 10 ms (mostly the fsync) for 33,000 records/s.
const trimBatch = 2000

// TrimAudit removes the records written before cutoff, except each number's newest, from the front
// of the log in transactions of at most trimBatch records. It stops at the record that was newest
// when it started, so that it ends even while records keep coming; a record that stops being its
// number's newest during the trim is left for the next one. removed counts what committed, also
// when a later transaction fails.
func (s *Store) TrimAudit(ctx context.Context, cutoff time.Time) (int, error) {
	if err := s.writable("trim audit"); err != nil {
		return 0, err
	}
	cut := ms(cutoff)
	var next, end uint64 // the sequence to go on from; the last one to look at
	started := false
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, fmt.Errorf("boltq: trim audit: %w", err)
		}
		var removed int
		var done bool
		var resume uint64
		err := s.db.Update(func(tx *bolt.Tx) error {
			removed, done, resume = 0, true, next
			t := s.buckets(tx)
			c := t.audit.Cursor()
			if !started {
				last, _ := c.Last()
				if last == nil {
					return nil
				}
				end = seqOf(last)
			}
			// Collected first: deleting under a bbolt cursor can skip keys.
			var victims [][]byte
			n := 0
			for k, v := c.Seek(seqKey(next)); k != nil && seqOf(k) <= end; k, v = c.Next() {
				if n == trimBatch {
					done = false
					break
				}
				n++
				at, number, err := peekAudit(v)
				if err != nil {
					return fmt.Errorf("audit record %x: %w", k, err)
				}
				if at >= cut {
					break // At never decreases along the log (stamp)
				}
				seq := seqOf(k)
				resume = seq + 1
				key := trailKey(number)
				st, err := t.state(number, key)
				if err != nil {
					return err
				}
				if st.newest != seq {
					victims = append(victims, pointerKey(key, seq))
				}
			}
			for _, p := range victims {
				if err := t.audit.Delete(p[len(p)-8:]); err != nil {
					return err
				}
				if err := t.trail.Delete(p); err != nil {
					return err
				}
			}
			removed = len(victims)
			return nil
		})
		if err != nil {
			return total, unavailable("trim audit", err)
		}
		started, next = true, resume
		total += removed
		if done {
			return total, nil
		}
	}
}
