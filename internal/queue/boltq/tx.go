package boltq

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
	bolt "go.etcd.io/bbolt"
)

// Bucket names. Every index key can be rebuilt from the item it points to, so an entry's index
// entries are deleted by key, never found by scanning.
var (
	bMeta       = []byte("meta")       // "format" -> layout version
	bItems      = []byte("items")      // number -> encoded record
	bReady      = []byte("ready")      // due ms (8 bytes BE) + number -> nothing
	bLeased     = []byte("leased")     // lease deadline ms + number -> nothing
	bDead       = []byte("dead")       // number -> dead-at ms
	bFirst      = []byte("first")      // FirstReceivedAt ms + number, ready and leased only (Stats)
	bEvents     = []byte("events")     // event key (eventKey: id and number) -> expiry ms
	bEventExp   = []byte("eventexp")   // expiry ms + event key -> nothing (sweep)
	bRejections = []byte("rejections") // sequence (8 bytes BE) -> encoded rejection
	// Layout 2: the audit trail (audit.go).
	bAudit = []byte("audit") // sequence (8 bytes BE) -> encoded queue.AuditRecord: the log, in write order
	bTrail = []byte("trail") // trail key + 0x00 -> encoded numState; trail key + 0x00 + sequence -> nothing
	// Layout 3: rejections held to their limits (reject.go).
	bRejSeen = []byte("rejseen") // queue.Rejection.Identity -> its sequence in rejections
)

var (
	keyFormat = []byte("format")
	keyProbe  = []byte("probe") // last readiness probe (Ping): a write that proves the disk commits
	// keyRejStats holds the rejection counters (rejStats); "kept" is what the cap compares.
	keyRejStats = []byte("rejstats")
	// keyUpgrading is set while values of an older layout may remain (upgradeValues).
	keyUpgrading = []byte("upgrading")
)

// sharedBuckets are the buckets of every destination's use, beside the meta bucket: those a writer
// creates (initBuckets) and a reader needs (readable).
var sharedBuckets = [][]byte{bItems, bReady, bLeased, bDead, bFirst, bEvents, bEventExp, bRejections, bAudit, bTrail, bRejSeen}

// initBuckets creates what is missing and checks the layout. A file of layout 1 (no audit trail)
// is upgraded in place: its buckets are kept as they are and the audit buckets start empty, so its
// queued entries have no trail before the upgrade. Its event ids were keyed by id alone; they no
// longer match (layout 2 keys them per number) and go when the sweep reaches them, so an event
// delivered again across the upgrade is not taken for a duplicate. A file of a newer layout is
// refused. A file of layout 2 gets the rejection counters, starting from the rejections it holds;
// those keep their format (no hash, no audit record of their own to drop with them).
func initBuckets(tx *bolt.Tx, dests []*destBuckets) error {
	for _, name := range append([][]byte{bMeta}, sharedBuckets...) {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	for _, d := range dests {
		if err := d.create(tx); err != nil {
			return err
		}
	}
	meta := tx.Bucket(bMeta)
	switch v := meta.Get(keyFormat); {
	case len(v) == 1 && v[0] == formatFieldBytes:
		// Values are rewritten after this transaction (upgradeValues); until then, and if it is cut
		// short, the decoders read both encodings, and an older build refuses the file.
		if err := meta.Put(keyUpgrading, []byte{1}); err != nil {
			return err
		}
		return meta.Put(keyFormat, []byte{format})
	case v == nil, len(v) == 1 && (v[0] == formatNoAudit || v[0] == formatNoRejStats):
		if v != nil {
			if err := meta.Put(keyUpgrading, []byte{1}); err != nil {
				return err
			}
		}
		if meta.Get(keyRejStats) == nil {
			st := rejStats{kept: int64(tx.Bucket(bRejections).Stats().KeyN)}
			if err := meta.Put(keyRejStats, st.encode()); err != nil {
				return err
			}
		}
		return meta.Put(keyFormat, []byte{format})
	case len(v) != 1 || v[0] != format:
		return fmt.Errorf("file has layout %v, this build reads %d", v, format)
	}
	return nil
}

// txn is one transaction with its buckets at hand.
type txn struct {
	items, ready, leased, dead, first, events, eventExp, rejections, audit, trail, seen *bolt.Bucket

	tx     *bolt.Tx
	d      *destBuckets   // the destination whose queue items..first are (on)
	dests  []*destBuckets // all of them
	dstate *bolt.Bucket   // d's state bucket; nil for the primary

	// now is the store's clock, for the time of audit records; see stamp.
	now     func() time.Time
	at      int64
	stamped bool
}

// buckets is tx with the buckets of s's destination and the shared ones at hand.
func (s *Store) buckets(tx *bolt.Tx) *txn {
	t := &txn{
		events: tx.Bucket(bEvents), eventExp: tx.Bucket(bEventExp), rejections: tx.Bucket(bRejections),
		audit: tx.Bucket(bAudit), trail: tx.Bucket(bTrail), seen: tx.Bucket(bRejSeen), tx: tx, dests: s.dests,
	}
	return t.on(s.d)
}

// begin is buckets with the store's clock, which every write that records evidence needs.
func (s *Store) begin(tx *bolt.Tx) *txn {
	t := s.buckets(tx)
	t.now = s.now
	return t
}

// get loads the entry for number; nil when there is none.
func (t *txn) get(number string) (*record, error) {
	v := t.items.Get([]byte(number))
	if v == nil {
		return nil, nil
	}
	r, err := decodeRecord(number, v)
	if err != nil {
		return nil, fmt.Errorf("entry %s: %w", number, err)
	}
	return r, nil
}

// save writes r's record without touching its indexes.
func (t *txn) save(r *record) error {
	return t.items.Put([]byte(r.item.Number), encodeRecord(r))
}

// move puts r in state to with time at (due, deadline or dead-at) and keeps every index in step.
// r.state 0 means r is not stored yet.
func (t *txn) move(r *record, to state, at int64) error {
	if r.state != 0 {
		if err := t.unindex(r); err != nil {
			return err
		}
	}
	wasLive := r.state.live()
	r.state, r.at = to, at
	if to != stateLeased {
		r.item.Lease = ""
	}
	if err := t.index(r); err != nil {
		return err
	}
	// The first-receipt index only changes when the entry enters or leaves the live set; skipping
	// the delete and re-put on ready <-> leased keeps claims cheap.
	if live := to.live(); live != wasLive {
		k := timeKey(ms(r.item.FirstReceivedAt), r.item.Number)
		var err error
		if live {
			err = t.first.Put(k, nil)
		} else {
			err = t.first.Delete(k)
		}
		if err != nil {
			return err
		}
	}
	return t.save(r)
}

// remove deletes r and all its index entries.
func (t *txn) remove(r *record) error {
	if err := t.unindex(r); err != nil {
		return err
	}
	if r.state.live() {
		if err := t.first.Delete(timeKey(ms(r.item.FirstReceivedAt), r.item.Number)); err != nil {
			return err
		}
	}
	return t.items.Delete([]byte(r.item.Number))
}

// index adds the state index entry derived from r.
func (t *txn) index(r *record) error {
	switch r.state {
	case stateReady:
		return t.ready.Put(timeKey(r.at, r.item.Number), nil)
	case stateLeased:
		return t.leased.Put(timeKey(r.at, r.item.Number), nil)
	case stateDead:
		return t.dead.Put([]byte(r.item.Number), binary.BigEndian.AppendUint64(nil, uint64(r.at)))
	}
	return fmt.Errorf("entry %s: unknown state %d", r.item.Number, r.state)
}

// unindex deletes the state index entry derived from r.
func (t *txn) unindex(r *record) error {
	switch r.state {
	case stateReady:
		return t.ready.Delete(timeKey(r.at, r.item.Number))
	case stateLeased:
		return t.leased.Delete(timeKey(r.at, r.item.Number))
	case stateDead:
		return t.dead.Delete([]byte(r.item.Number))
	}
	return fmt.Errorf("entry %s: unknown state %d", r.item.Number, r.state)
}

// holder returns the stored entry for it only if it is leased under its token: answers from a
// pusher whose lease was recovered and handed to another must not touch the entry.
func (t *txn) holder(it queue.Item) (*record, error) {
	if it.Lease == "" {
		return nil, nil
	}
	r, err := t.get(it.Number)
	if err != nil || r == nil || r.state != stateLeased || r.item.Lease != it.Lease {
		return nil, err
	}
	return r, nil
}

// due collects the numbers in index b whose time is at or before nowMs, earliest first, up to
// limit. They are collected before anything is changed because deleting under a bbolt cursor
// can skip keys.
func due(b *bolt.Bucket, nowMs int64, limit int) [][]byte {
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.First(); k != nil && len(keys) < limit; k, _ = c.Next() {
		if at, _ := splitTimeKey(k); at > nowMs {
			break
		}
		keys = append(keys, append([]byte(nil), k...))
	}
	return keys
}

// stale reports whether index key k does not belong to r (r missing or in another place), which
// only a bug or a torn upgrade could cause; callers drop such keys so the queue keeps moving.
func stale(r *record, st state, k []byte) bool {
	if r == nil || r.state != st {
		return true
	}
	at, _ := splitTimeKey(k)
	return at != clampMs(r.at)
}
