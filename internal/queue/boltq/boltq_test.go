package boltq

import (
	"bytes"
	"encoding/binary"
	"path/filepath"
	"testing"

	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/queuetest"
	bolt "go.etcd.io/bbolt"
)

func TestConformance(t *testing.T) {
	queuetest.Run(t, queuetest.Opener{Reopen: true, Open: func(t *testing.T) (queue.Queue, func() queue.Queue) {
		path := filepath.Join(t.TempDir(), "data", "queue.db") // the data dir does not exist yet
		var opened []*Store
		open := func() queue.Queue {
			s, err := Open(path, Options{})
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
	}})
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
	if err := s.db.View(func(tx *bolt.Tx) error { checkTx(t, buckets(tx)); return nil }); err != nil {
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
}

// has tests for a key with a cursor: Get cannot tell an empty value from a missing key.
func has(b *bolt.Bucket, k []byte) bool {
	got, _ := b.Cursor().Seek(k)
	return bytes.Equal(got, k)
}
