package boltq

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// state is where an entry is; it decides which index holds it.
type state byte

const (
	stateReady  state = 1
	stateLeased state = 2
	stateDead   state = 3
)

// live reports whether the entry still waits for CXone (counted in Depth and OldestReceived).
func (s state) live() bool { return s == stateReady || s == stateLeased }

// record is what the items bucket holds for a number.
type record struct {
	state state
	at    int64 // unix ms: due when ready, lease deadline when leased, dead-at when dead
	item  queue.Item
}

// numState is what the trail bucket holds for a number: its queue.NumberState (without the number,
// which is the key) and the sequence of its newest audit record, which trimming keeps.
type numState struct {
	queue.NumberState
	newest uint64 // 0: no record yet (sequences start at 1)
}

// Values are in the one encoding of the queue's values (queue.Codec): a version byte, then tagged
// fields, so that a new field of an item, an event or a record needs no change here. A value that
// starts with an older format byte (1 to 3) is of layout 3 and before (legacy.go); the upgrade at
// open rewrites them all (migrate.go), and the decoders still read one it has not reached.

// storedRecord is a record as encoded: the item and where it is. Tags from 64 are the store's.
type storedRecord struct {
	queue.Item
	State state `q:"64"`
	At    int64 `q:"65"`
}

var recordCodec = queue.NewCodec[storedRecord]()

// encodeRecord encodes r. The number is the bucket key, so it is not repeated in the value.
func encodeRecord(r *record) []byte {
	v := storedRecord{Item: r.item, State: r.state, At: r.at}
	v.Number = ""
	return recordCodec.Encode(&v)
}

func decodeRecord(number string, b []byte) (*record, error) {
	if legacy(b) {
		return decodeRecordV1(number, b)
	}
	var v storedRecord
	if err := recordCodec.Decode(b, &v); err != nil {
		return nil, err
	}
	if v.State < stateReady || v.State > stateDead {
		return nil, fmt.Errorf("record state %d unknown", v.State)
	}
	v.Item.Number = number
	return &record{state: v.State, at: v.At, item: v.Item}, nil
}

// storedRejection is a rejection (bounded) with the sequence of its audit record (0: none), which
// dropping it deletes with it.
type storedRejection struct {
	queue.Rejection
	Audit uint64 `q:"64"`
}

var rejectionCodec = queue.NewCodec[storedRejection]()

func encodeRejection(r queue.Rejection, audit uint64) []byte {
	if r.Kind == "" {
		r.Kind = queue.AuditRejected
	}
	return rejectionCodec.Encode(&storedRejection{Rejection: r, Audit: audit})
}

func decodeRejection(v []byte) (queue.Rejection, error) {
	r, _, err := decodeStoredRejection(v)
	return r, err
}

func decodeStoredRejection(b []byte) (queue.Rejection, uint64, error) {
	if legacy(b) {
		return decodeRejectionV1(b)
	}
	var v storedRejection
	err := rejectionCodec.Decode(b, &v)
	return v.Rejection, v.Audit, err
}

// encodeAudit encodes an audit record, its number included (the log is keyed by sequence).
func encodeAudit(r *queue.AuditRecord) []byte { return queue.AuditCodec.Encode(r) }

func decodeAudit(b []byte) (queue.AuditRecord, error) {
	if legacy(b) {
		return decodeAuditV1(b)
	}
	var r queue.AuditRecord
	return r, queue.AuditCodec.Decode(b, &r)
}

var auditAt, auditNumber = queue.AuditCodec.Tag("At"), queue.AuditCodec.Tag("Number")

// peekAudit reads only the write time (unix ms) and the number of an encoded audit record: what
// trimming and exporting need of every record.
func peekAudit(b []byte) (at int64, number string, err error) {
	if legacy(b) {
		return peekAuditV1(b)
	}
	at, _, ok, err := queue.Peek(b, auditAt)
	if err != nil {
		return 0, "", err
	}
	if !ok {
		at = time.Time{}.UnixMilli() // left out: zero, as decodeAudit reads it
	}
	_, n, _, err := queue.Peek(b, auditNumber)
	return at, string(n), err
}

// storedState is a numState as encoded.
type storedState struct {
	queue.NumberState
	Newest uint64 `q:"64"`
}

var stateCodec = queue.NewCodec[storedState]()

func encodeState(s *numState) []byte {
	v := storedState{NumberState: s.NumberState, Newest: s.newest}
	v.Number, v.Destinations = "", nil
	return stateCodec.Encode(&v)
}

func decodeState(number string, b []byte) (*numState, error) {
	if legacy(b) {
		return decodeStateV1(number, b)
	}
	var v storedState
	if err := stateCodec.Decode(b, &v); err != nil {
		return nil, err
	}
	v.Number = number
	return &numState{NumberState: v.NumberState, newest: v.Newest}, nil
}

// legacy reports whether b is a value of layout 3 or before: it starts with a format byte.
func legacy(b []byte) bool { return len(b) > 0 && b[0] != queue.ValueVersion && b[0] <= 3 }

var errCorrupt = errors.New("value truncated or corrupt")

// decoder reads fields in order; the first failure sticks so callers check once at the end.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) byte() byte {
	if d.err != nil || len(d.b) == 0 {
		d.err = errCorrupt
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

// string copies: bbolt's bytes are only valid inside the transaction.
func (d *decoder) string() string {
	if d.err != nil {
		return ""
	}
	l, n := binary.Uvarint(d.b)
	if n <= 0 || l > uint64(len(d.b)-n) {
		d.err = errCorrupt
		return ""
	}
	s := string(d.b[n : n+int(l)])
	d.b = d.b[n+int(l):]
	return s
}

func (d *decoder) time() time.Time { return time.UnixMilli(d.varint()).UTC() }

func (d *decoder) done() error {
	if d.err == nil && len(d.b) != 0 {
		d.err = errCorrupt
	}
	return d.err
}

// timeKey is an index key: 8-byte big-endian unix ms, so byte order is time order, then suffix
// (a number or an event key) so that keys with the same millisecond stay distinct.
func timeKey(at int64, suffix string) []byte {
	k := make([]byte, 8, 8+len(suffix))
	binary.BigEndian.PutUint64(k, uint64(clampMs(at)))
	return append(k, suffix...)
}

func splitTimeKey(k []byte) (int64, string) {
	if len(k) < 8 {
		return 0, ""
	}
	return int64(binary.BigEndian.Uint64(k)), string(k[8:])
}

// clampMs maps times before 1970 to 1970 so that the unsigned key order stays time order;
// such times only make an entry due at once, which it was anyway.
func clampMs(at int64) int64 { return max(at, 0) }
