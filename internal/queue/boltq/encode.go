package boltq

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// Values are a leading format byte and then fields in a fixed order: strings as uvarint length
// and bytes, ints and times (Unix milliseconds, the precision the store keeps) as varints. A new
// field means a new format byte and a decoder that still reads the old one.
const (
	recordV1    byte = 1
	recordV2    byte = 2 // recordV1 and LostLeases
	rejectionV1 byte = 1
	rejectionV2 byte = 2 // adds Said and Key
	rejectionV3 byte = 3 // adds Hash, Bytes and the sequence of the rejection's audit record
	auditV1     byte = 1
	auditV2     byte = 2 // adds Destination; written only for records that have one
	auditV3     byte = 3 // auditV2 and Repeats; written only for records that have repeats
	stateV1     byte = 1
	stateV2     byte = 2 // adds ConfirmedExpires
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

// encodeRecord encodes r. The number is the bucket key, so it is not repeated in the value.
func encodeRecord(r *record) []byte {
	it := &r.item
	b := make([]byte, 0, 64+len(it.Action)+len(it.Raw)+len(it.Source)+len(it.Channel)+
		len(it.Reason)+len(it.Scope)+len(it.LastError)+len(it.Lease))
	b = append(b, recordV2, byte(r.state))
	b = binary.AppendVarint(b, r.at)
	for _, s := range []string{string(it.Action), it.Raw, it.Source, it.Channel, it.Reason, it.Scope} {
		b = appendString(b, s)
	}
	for _, t := range []time.Time{it.OccurredAt, it.FirstReceivedAt, it.LastReceivedAt, it.ExpiresAt} {
		b = appendTime(b, t)
	}
	b = binary.AppendVarint(b, int64(it.Events))
	b = binary.AppendVarint(b, int64(it.Attempts))
	b = appendString(b, it.LastError)
	b = binary.AppendVarint(b, it.Version)
	b = appendString(b, it.Lease)
	return binary.AppendVarint(b, int64(it.LostLeases))
}

func decodeRecord(number string, v []byte) (*record, error) {
	d := decoder{b: v}
	f := d.byte()
	if f != recordV1 && f != recordV2 {
		return nil, fmt.Errorf("record format %d unknown", f)
	}
	r := &record{state: state(d.byte()), at: d.varint()}
	it := &r.item
	it.Number = number
	it.Action = queue.Action(d.string())
	it.Raw, it.Source, it.Channel, it.Reason, it.Scope = d.string(), d.string(), d.string(), d.string(), d.string()
	it.OccurredAt, it.FirstReceivedAt, it.LastReceivedAt, it.ExpiresAt = d.time(), d.time(), d.time(), d.time()
	it.Events, it.Attempts = int(d.varint()), int(d.varint())
	it.LastError = d.string()
	it.Version = d.varint()
	it.Lease = d.string()
	if f >= recordV2 {
		it.LostLeases = int(d.varint())
	}
	if err := d.done(); err != nil {
		return nil, err
	}
	if r.state < stateReady || r.state > stateDead {
		return nil, fmt.Errorf("record state %d unknown", r.state)
	}
	return r, nil
}

// encodeRejection encodes r (bounded) with the sequence of its audit record (0: none), which
// dropping it deletes with it.
func encodeRejection(r queue.Rejection, audit uint64) []byte {
	b := make([]byte, 0, 32+len(r.Raw)+len(r.Body)+len(r.Reason)+len(r.Region)+len(r.Source)+
		len(r.Channel)+len(r.EventID)+len(r.Said)+len(r.Key)+len(r.Hash))
	b = append(b, rejectionV3)
	for _, s := range []string{r.Raw, r.Body, r.Reason, r.Region, r.Source, r.Channel, r.EventID} {
		b = appendString(b, s)
	}
	b = appendTime(b, r.ReceivedAt)
	b = appendString(b, r.Said)
	b = appendString(b, r.Key)
	b = appendString(b, r.Hash)
	b = binary.AppendVarint(b, int64(r.Bytes))
	return binary.AppendUvarint(b, audit)
}

func decodeRejection(v []byte) (queue.Rejection, error) {
	r, _, err := decodeStoredRejection(v)
	return r, err
}

// decodeStoredRejection reads every format; a rejection written before rejectionV3 has no hash and
// no audit record sequence (0), and its body may be as long as that build kept (4 KiB).
func decodeStoredRejection(v []byte) (queue.Rejection, uint64, error) {
	d := decoder{b: v}
	f := d.byte()
	if f < rejectionV1 || f > rejectionV3 {
		return queue.Rejection{}, 0, fmt.Errorf("rejection format %d unknown", f)
	}
	r := queue.Rejection{Kind: queue.AuditRejected, Raw: d.string(), Body: d.string(), Reason: d.string(),
		Region: d.string(), Source: d.string(), Channel: d.string(), EventID: d.string(), ReceivedAt: d.time()}
	if f >= rejectionV2 {
		r.Said, r.Key = d.string(), d.string()
		if strings.HasPrefix(r.Key, "+") {
			r.Number = r.Key // the number was valid; another field was refused
		}
	}
	var audit uint64
	if f >= rejectionV3 {
		r.Hash, r.Bytes = d.string(), int(d.varint())
		audit = d.uvarint()
	}
	return r, audit, d.done()
}

// encodeAudit encodes an audit record, its number included (the log is keyed by sequence). At
// comes first so that trimming and exporting can read it without decoding the rest (peekAudit).
func encodeAudit(r *queue.AuditRecord) []byte {
	b := make([]byte, 0, 48+len(r.Number)+len(r.Kind)+len(r.Raw)+len(r.Action)+len(r.Source)+len(r.Channel)+
		len(r.Reason)+len(r.Scope)+len(r.EventID)+len(r.Region)+len(r.Detail))
	f := auditV1
	switch {
	case r.Repeats != 0:
		f = auditV3
	case r.Destination != "":
		f = auditV2
	}
	b = append(b, f)
	b = appendTime(b, r.At)
	for _, s := range []string{r.Number, string(r.Kind), r.Raw, string(r.Action), r.Source, r.Channel, r.Reason,
		r.Scope, r.EventID, r.Region} {
		b = appendString(b, s)
	}
	for _, t := range []time.Time{r.OccurredAt, r.ReceivedAt, r.ExpiresAt} {
		b = appendTime(b, t)
	}
	b = appendString(b, r.Detail)
	if f >= auditV2 {
		b = appendString(b, r.Destination)
	}
	if f == auditV3 {
		b = binary.AppendVarint(b, int64(r.Repeats))
	}
	return b
}

func decodeAudit(v []byte) (queue.AuditRecord, error) {
	d := decoder{b: v}
	f := d.byte()
	if f < auditV1 || f > auditV3 {
		return queue.AuditRecord{}, fmt.Errorf("audit record format %d unknown", f)
	}
	var r queue.AuditRecord
	r.At = d.time()
	r.Number, r.Kind, r.Raw = d.string(), queue.AuditKind(d.string()), d.string()
	r.Action, r.Source, r.Channel = queue.Action(d.string()), d.string(), d.string()
	r.Reason, r.Scope, r.EventID, r.Region = d.string(), d.string(), d.string(), d.string()
	r.OccurredAt, r.ReceivedAt, r.ExpiresAt = d.time(), d.time(), d.time()
	r.Detail = d.string()
	if f >= auditV2 {
		r.Destination = d.string()
	}
	if f == auditV3 {
		r.Repeats = int(d.varint())
	}
	return r, d.done()
}

// peekAudit reads only the write time (unix ms) and the number of an encoded audit record.
func peekAudit(v []byte) (at int64, number string, err error) {
	d := decoder{b: v}
	if f := d.byte(); f < auditV1 || f > auditV3 {
		return 0, "", fmt.Errorf("audit record format %d unknown", f)
	}
	at, number = d.varint(), d.string()
	return at, number, d.err
}

// numState is what the trail bucket holds for a number: its queue.NumberState (without the number,
// which is the key) and the sequence of its newest audit record, which trimming keeps.
type numState struct {
	queue.NumberState
	newest uint64 // 0: no record yet (sequences start at 1)
}

func encodeState(s *numState) []byte {
	b := make([]byte, 0, 56+len(s.State)+len(s.ConfirmedAction)+len(s.LastError))
	b = append(b, stateV2)
	b = binary.AppendUvarint(b, s.newest)
	b = appendString(b, string(s.State))
	for _, t := range []time.Time{s.FirstRequestedAt, s.LastEventAt} {
		b = appendTime(b, t)
	}
	b = appendString(b, string(s.ConfirmedAction))
	for _, t := range []time.Time{s.ConfirmedOccur, s.ConfirmedAt} {
		b = appendTime(b, t)
	}
	b = appendString(b, s.LastError)
	return appendTime(b, s.ConfirmedExpires)
}

func decodeState(number string, v []byte) (*numState, error) {
	d := decoder{b: v}
	f := d.byte()
	if f != stateV1 && f != stateV2 {
		return nil, fmt.Errorf("number state format %d unknown", f)
	}
	s := &numState{newest: d.uvarint()}
	s.Number = number
	s.State = queue.State(d.string())
	s.FirstRequestedAt, s.LastEventAt = d.time(), d.time()
	s.ConfirmedAction = queue.Action(d.string())
	s.ConfirmedOccur, s.ConfirmedAt = d.time(), d.time()
	s.LastError = d.string()
	if f == stateV2 {
		s.ConfirmedExpires = d.time()
	}
	return s, d.done()
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendTime keeps the zero time distinct from 1970: its Unix milliseconds (year 1) decode back
// to a time for which IsZero holds.
func appendTime(b []byte, t time.Time) []byte { return binary.AppendVarint(b, t.UnixMilli()) }

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
