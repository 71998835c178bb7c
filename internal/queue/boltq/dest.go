package boltq

import (
	"context"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/dncsync/dncsync/internal/queue"
)

// destBuckets is one destination's part of the file: its entries, their indexes, and what it
// confirmed of each number. Event ids, rejections, the audit log and the trail (with the shared
// part of each number's state) are the store's, shared by all destinations.
//
// The first destination keeps the buckets of a store with one destination ("items", "ready", ...;
// what it confirmed is in the number's numState), so that adding a destination to a running
// deployment leaves its queue where it is; another's are "<name>/items", "<name>/ready", ...,
// and "<name>/state" (number -> encoded numState holding its confirmed fields only).
type destBuckets struct {
	name  string // as configured
	label string // in audit records: name, or "" when there is only one destination

	items, ready, leased, dead, first []byte
	state                             []byte // nil for the primary
	lastConfirmed                     []byte // key in the meta bucket (LastConfirmed)
}

func newDestBuckets(names []string) ([]*destBuckets, error) {
	names, err := queue.DestinationNames(names)
	if err != nil {
		return nil, fmt.Errorf("boltq: %w", err)
	}
	out := make([]*destBuckets, len(names))
	for i, n := range names {
		d := &destBuckets{name: n, items: bItems, ready: bReady, leased: bLeased, dead: bDead, first: bFirst,
			lastConfirmed: keyLastConfirmed}
		if len(names) > 1 {
			d.label = n
		}
		if i > 0 {
			p := n + "/"
			d.items, d.ready, d.leased, d.dead, d.first = []byte(p+"items"), []byte(p+"ready"), []byte(p+"leased"),
				[]byte(p+"dead"), []byte(p+"first")
			d.state, d.lastConfirmed = []byte(p+"state"), []byte(p+"lastconfirmed")
		}
		out[i] = d
	}
	return out, nil
}

// create makes d's buckets if they are missing: a destination added to a file that had fewer.
func (d *destBuckets) create(tx *bolt.Tx) error {
	for _, b := range d.buckets() {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}

// buckets are the destination's buckets: those a writer creates (create) and a reader needs
// (readable).
func (d *destBuckets) buckets() [][]byte {
	out := [][]byte{d.items, d.ready, d.leased, d.dead, d.first}
	if d.state != nil {
		out = append(out, d.state)
	}
	return out
}

// Destinations names the destinations every event is queued for, the first being the primary.
func (s *Store) Destinations() []string {
	out := make([]string, len(s.dests))
	for i, d := range s.dests {
		out[i] = d.name
	}
	return out
}

// Dest is the store as destination name's pusher sees it (queue.Router).
func (s *Store) Dest(name string) (queue.Store, error) {
	for _, d := range s.dests {
		if d.name == name {
			v := &Store{db: s.db, ttl: s.ttl, now: s.now, d: d, dests: s.dests, stalled: s.stalled,
				rejLimits: s.rejLimits, usage: s.usage, readOnly: s.readOnly, mapped: s.mapped}
			return v, nil
		}
	}
	return nil, fmt.Errorf("boltq: %w: %q (configured: %v)", queue.ErrNoDestination, name, s.Destinations())
}

// on is t for destination d: the same transaction and shared buckets, d's queue buckets.
func (t *txn) on(d *destBuckets) *txn {
	v := *t
	v.d = d
	v.items, v.ready, v.leased, v.dead, v.first = t.tx.Bucket(d.items), t.tx.Bucket(d.ready),
		t.tx.Bucket(d.leased), t.tx.Bucket(d.dead), t.tx.Bucket(d.first)
	v.dstate = nil
	if d.state != nil {
		v.dstate = t.tx.Bucket(d.state)
	}
	return &v
}

// destState loads what t's destination confirmed of number, with its last error: the number's
// own state for the primary (st), the destination's state bucket for the others.
func (t *txn) destState(number string, st *numState) (*numState, error) {
	if t.dstate == nil {
		return st, nil
	}
	v := t.dstate.Get([]byte(number))
	if v == nil {
		return &numState{NumberState: queue.NumberState{Number: number}}, nil
	}
	ds, err := decodeState(number, v)
	if err != nil {
		return nil, fmt.Errorf("%s state of %s: %w", t.d.name, number, err)
	}
	return ds, nil
}

// destRecord appends rec (about t's destination) to number's trail after change has updated what
// that destination's state says.
func (t *txn) destRecord(number string, rec queue.AuditRecord, change func(*queue.NumberState)) error {
	key := trailKey(number)
	st, err := t.state(number, key)
	if err != nil {
		return err
	}
	ds, err := t.destState(number, st)
	if err != nil {
		return err
	}
	change(&ds.NumberState)
	if ds != st {
		if err := t.dstate.Put([]byte(number), encodeState(ds)); err != nil {
			return err
		}
	}
	rec.Destination = t.d.label
	return t.record(key, st, rec)
}

// fill sets what each destination says of number in st (read from the trail): the primary's in
// st itself, with pending or dead while it has an entry, and with more than one destination each
// that knows the number in st.Destinations. It reports whether any destination has an entry.
func (t *txn) fill(number string, st *queue.NumberState) (bool, error) {
	return t.fillOn(t.views(), number, st)
}

// views is t on each destination (on), for fillOn: opening a destination's buckets costs lookups
// and allocations that a read of many numbers (Histories) does once, not once a number.
func (t *txn) views() []*txn {
	vs := make([]*txn, len(t.dests))
	for i, d := range t.dests {
		vs[i] = t.on(d)
	}
	return vs
}

// fillOn is fill with t's views of the destinations (views).
func (t *txn) fillOn(views []*txn, number string, st *queue.NumberState) (bool, error) {
	var queued bool
	for i, d := range t.dests {
		v := views[i]
		var ds queue.NumberState
		if i == 0 {
			ds = *st
		} else if b := v.dstate.Get([]byte(number)); b != nil {
			ns, err := decodeState(number, b)
			if err != nil {
				return false, fmt.Errorf("%s state of %s: %w", d.name, number, err)
			}
			ds = ns.NumberState
		}
		if v.queued(number, &ds) {
			queued = true
		}
		if i == 0 {
			st.State = ds.State
		}
		if len(t.dests) > 1 && ds.State != "" && ds.State != queue.StateRejected && ds.State != queue.StateIgnored {
			if st.Destinations == nil {
				st.Destinations = map[string]queue.DestState{}
			}
			st.Destinations[d.name] = queue.DestState{State: ds.State, ConfirmedAction: ds.ConfirmedAction,
				ConfirmedOccur: ds.ConfirmedOccur, ConfirmedAt: ds.ConfirmedAt, ConfirmedExpires: ds.ConfirmedExpires,
				LastError: ds.LastError}
		}
	}
	return queued, nil
}

var (
	_               queue.Recorder = (*Store)(nil)
	keyDestinations                = []byte("destinations") // in the meta bucket: the recorded list
)

// RecordDestinations stores the destination list in the meta bucket.
func (s *Store) RecordDestinations(ctx context.Context) error {
	if err := s.writable("record destinations"); err != nil {
		return err
	}
	v := []byte(strings.Join(s.Destinations(), ","))
	if err := s.write(ctx, s.db.Update, func(tx *bolt.Tx) error { return tx.Bucket(bMeta).Put(keyDestinations, v) }); err != nil {
		return unavailable("record destinations", err)
	}
	return nil
}

// RecordedDestinations reads the list RecordDestinations stored; nil if none.
func (s *Store) RecordedDestinations(ctx context.Context) ([]string, error) {
	var out []string
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bMeta).Get(keyDestinations); len(v) > 0 {
			out = strings.Split(string(v), ",")
		}
		return nil
	})
	if err != nil {
		return nil, unavailable("recorded destinations", err)
	}
	return out, nil
}
