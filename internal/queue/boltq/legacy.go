package boltq

import (
	"fmt"
	"strings"

	"github.com/dncsync/dncsync/internal/queue"
)

// The layout before the one encoding (queue.Codec), read by the upgrade at open (migrate.go) and,
// for a value it has not rewritten yet, by the decoders (encode.go).
// Values of layouts up to 3 were a leading format byte and then fields in a fixed order: strings as uvarint length
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

func decodeRecordV1(number string, v []byte) (*record, error) {
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

// decodeStoredRejection reads every format; a rejection written before rejectionV3 has no hash and
// no audit record sequence (0), and its body may be as long as that build kept (4 KiB).
func decodeRejectionV1(v []byte) (queue.Rejection, uint64, error) {
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

func decodeAuditV1(v []byte) (queue.AuditRecord, error) {
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
func peekAuditV1(v []byte) (at int64, number string, err error) {
	d := decoder{b: v}
	if f := d.byte(); f < auditV1 || f > auditV3 {
		return 0, "", fmt.Errorf("audit record format %d unknown", f)
	}
	at, number = d.varint(), d.string()
	return at, number, d.err
}

func decodeStateV1(number string, v []byte) (*numState, error) {
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
