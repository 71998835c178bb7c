package boltq

import (
	"bytes"
	"encoding/binary"
	"math"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/queuetest"
	bolt "go.etcd.io/bbolt"
)

func TestConformance(t *testing.T) {
	queuetest.Run(t, opener())
}

func TestEvidence(t *testing.T) {
	queuetest.RunEvidence(t, opener())
}

// opener opens a store in a fresh directory per test and checks the file it leaves.
func opener() queuetest.Opener {
	return queuetest.Opener{Reopen: true, Open: func(t *testing.T, now func() time.Time) (queue.Queue, func() queue.Queue) {
		path := filepath.Join(t.TempDir(), "data", "queue.db") // the data dir does not exist yet
		var opened []*Store
		open := func() queue.Queue {
			s, err := Open(path, Options{Now: now})
			if err != nil {
				t.Fatal(err)
			}
			opened = append(opened, s)
			return s
		}
		q := open()
		t.Cleanup(func() {
			for _, s := range opened {
				s.Close()
			}
			checkFile(t, path)
		})
		return q, open
	}}
}

// checkFile opens the file at path and checks that every index agrees with the items: the
// suite proves the behaviour, this proves that what it leaves on disk is consistent.
func checkFile(t *testing.T, path string) {
	t.Helper()
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.db.View(func(tx *bolt.Tx) error { checkTx(t, s.buckets(tx)); return nil }); err != nil {
		t.Fatal(err)
	}
}

func checkTx(t *testing.T, b *txn) {
	t.Helper()
	count := map[state]int{}
	err := b.items.ForEach(func(k, v []byte) error {
		r, err := decodeRecord(string(k), v)
		if err != nil {
			t.Errorf("item %s: %v", k, err)
			return nil
		}
		count[r.state]++
		n := r.item.Number
		switch r.state {
		case stateReady:
			if !has(b.ready, timeKey(r.at, n)) || r.item.Lease != "" {
				t.Errorf("ready %s: index missing or lease kept: %+v", n, r)
			}
		case stateLeased:
			if !has(b.leased, timeKey(r.at, n)) || r.item.Lease == "" {
				t.Errorf("leased %s: index missing or no lease: %+v", n, r)
			}
		case stateDead:
			if v := b.dead.Get([]byte(n)); !bytes.Equal(v, binary.BigEndian.AppendUint64(nil, uint64(r.at))) {
				t.Errorf("dead %s: index %x, want %d", n, v, r.at)
			}
		}
		if r.state.live() != has(b.first, timeKey(ms(r.item.FirstReceivedAt), n)) {
			t.Errorf("%s: first-receipt index disagrees with state %d", n, r.state)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		b    *bolt.Bucket
		want int
	}{
		{"ready", b.ready, count[stateReady]},
		{"leased", b.leased, count[stateLeased]},
		{"dead", b.dead, count[stateDead]},
		{"first", b.first, count[stateReady] + count[stateLeased]},
		{"eventexp", b.eventExp, b.events.Stats().KeyN},
	} {
		if n := c.b.Stats().KeyN; n != c.want {
			t.Errorf("index %s has %d keys, want %d", c.name, n, c.want)
		}
	}
	b.events.ForEach(func(k, v []byte) error {
		if len(v) != 8 || !has(b.eventExp, timeKey(int64(binary.BigEndian.Uint64(v)), string(k))) {
			t.Errorf("event %q: expiry index missing", k)
		}
		return nil
	})
	checkTrail(t, b)
	checkRejections(t, b)
}

// checkRejections checks that the kept counter is the number of rejections, and that every
// identity kept names a rejection of that identity, and every rejection with one has it kept.
func checkRejections(t *testing.T, b *txn) {
	t.Helper()
	st, err := b.rejStats()
	if err != nil {
		t.Error(err)
	}
	if n := b.rejections.Stats().KeyN; int64(n) != st.kept {
		t.Errorf("%d rejections, the counter says %d kept", n, st.kept)
	}
	idents := 0
	b.rejections.ForEach(func(k, v []byte) error {
		r, err := decodeRejection(v)
		if err != nil {
			t.Errorf("rejection %x: %v", k, err)
			return nil
		}
		if id := r.Identity(); id != "" {
			idents++
			if !bytes.Equal(b.seen.Get([]byte(id)), k) {
				t.Errorf("rejection %x: identity %s not kept", k, id)
			}
		}
		return nil
	})
	if n := b.seen.Stats().KeyN; n != idents {
		t.Errorf("%d identities kept for %d rejections that have one", n, idents)
	}
}

// checkTrail checks the audit buckets: every record has its pointer and every pointer its
// record, each number's newest record is its last pointer, At never decreases along the log, and
// every entry in the queue has a state (the tests write no file of the layout before the trail).
func checkTrail(t *testing.T, b *txn) {
	t.Helper()
	lastAt := int64(math.MinInt64)
	keyless := 0 // records of no number: in the log only
	b.audit.ForEach(func(k, v []byte) error {
		r, err := decodeAudit(v)
		if err != nil || len(k) != 8 {
			t.Errorf("audit record %x: %v", k, err)
			return nil
		}
		if r.Number == "" {
			keyless++
		} else if !has(b.trail, pointerKey(trailKey(r.Number), seqOf(k))) {
			t.Errorf("audit record %d of %s: no pointer in the trail", seqOf(k), r.Number)
		}
		if ms(r.At) < lastAt {
			t.Errorf("audit record %d written at %v, before the record ahead of it", seqOf(k), r.At)
		}
		lastAt = ms(r.At)
		return nil
	})
	newest := map[string]uint64{} // trail key -> newest record in the state
	lastPointer := map[string]uint64{}
	pointers := 0
	b.trail.ForEach(func(k, v []byte) error {
		key, seq, pointer, err := splitTrailKey(k)
		switch {
		case err != nil:
			t.Error(err)
		case pointer:
			pointers++
			lastPointer[key] = seq
			rv := b.audit.Get(seqKey(seq))
			if rv == nil {
				t.Errorf("trail of %q: record %d missing", key, seq)
				return nil
			}
			if _, number, err := peekAudit(rv); err != nil || trailKey(number) != key {
				t.Errorf("trail of %q: record %d is of %q (%v)", key, seq, number, err)
			}
		default:
			st, err := decodeState(key, v)
			if err != nil {
				t.Errorf("state of %q: %v", key, err)
				return nil
			}
			newest[key] = st.newest
		}
		return nil
	})
	if n := b.audit.Stats().KeyN; n != pointers+keyless {
		t.Errorf("the log has %d records, the trail %d pointers and %d records have no number", n, pointers, keyless)
	}
	for key, seq := range newest {
		if lastPointer[key] != seq {
			t.Errorf("state of %q: newest record %d, last pointer %d", key, seq, lastPointer[key])
		}
	}
	for key := range lastPointer {
		if _, ok := newest[key]; !ok {
			t.Errorf("trail of %q has records and no state", key)
		}
	}
	b.items.ForEach(func(k, _ []byte) error {
		if _, ok := newest[trailKey(string(k))]; !ok {
			t.Errorf("entry %s has no state", k)
		}
		return nil
	})
}

// has tests for a key with a cursor: Get cannot tell an empty value from a missing key.
func has(b *bolt.Bucket, k []byte) bool {
	got, _ := b.Cursor().Seek(k)
	return bytes.Equal(got, k)
}

func TestDestinations(t *testing.T) {
	queuetest.RunDestinations(t, func(t *testing.T, names []string, now func() time.Time) queue.Store {
		s, err := Open(filepath.Join(t.TempDir(), "queue.db"), Options{Destinations: names, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestConfirmedScope(t *testing.T) {
	queuetest.RunConfirmedScope(t, func(t *testing.T, names []string, now func() time.Time) queue.Store {
		s, err := Open(filepath.Join(t.TempDir(), "queue.db"), Options{Destinations: names, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestRejections(t *testing.T) {
	queuetest.RunRejections(t, func(t *testing.T, lim queue.RejectionLimits) (queue.Store, func()) {
		path := filepath.Join(t.TempDir(), "queue.db")
		var used atomic.Uint64 // of 100: the filesystem as the store sees it
		s, err := Open(path, Options{Rejections: lim,
			Usage: func() (uint64, uint64, error) { return used.Load(), 100, nil }})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			s.Close()
			checkFile(t, path)
		})
		return s, func() { used.Store(95) }
	})
}
