package boltq

import (
	"encoding/binary"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// The encoders of layout 3 (commit 592b52e), to write values the upgrade must read.

// encodeRecord encodes r. The number is the bucket key, so it is not repeated in the value.
func encodeRecordV1(r *record) []byte {
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

// encodeRejection encodes r (bounded) with the sequence of its audit record (0: none), which
// dropping it deletes with it.
func encodeRejectionV1(r queue.Rejection, audit uint64) []byte {
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

// encodeAudit encodes an audit record, its number included (the log is keyed by sequence). At
// comes first so that trimming and exporting can read it without decoding the rest (peekAudit).
func encodeAuditV1(r *queue.AuditRecord) []byte {
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

func encodeStateV1(s *numState) []byte {
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

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendTime keeps the zero time distinct from 1970: its Unix milliseconds (year 1) decode back
// to a time for which IsZero holds.
func appendTime(b []byte, t time.Time) []byte { return binary.AppendVarint(b, t.UnixMilli()) }
