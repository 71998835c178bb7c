package adminapi

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/dncsync/dncsync/internal/consent"
	"github.com/dncsync/dncsync/internal/ops"
	"github.com/dncsync/dncsync/internal/printable"
	"github.com/dncsync/dncsync/internal/queue"
)

// The answer to a batch of 10,000 numbers is megabytes of JSON, and encoding/json's reflection was
// a quarter of the batch's CPU. appendEligibility writes the same bytes as writeJSONAs does
// (encoding/json, compact, HTML-escaped, then printable.JSON) for the one type it knows, field by
// field; TestEligibilityJSONSame holds the two equal. A field added to ops.Eligibility, or to a type
// inside it, must be added here too: that test fills every field and fails until it is.

// writeEligibilityAnswer streams {"results":[...]} to w, a number at a time.
func writeEligibilityAnswer(w http.ResponseWriter, res []ops.Eligibility) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 64<<10)
	b := make([]byte, 0, 2048)
	b = append(b, `{"results":[`...)
	for i := range res {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendEligibility(b, &res[i])
		if len(b) > 32<<10 {
			if _, err := bw.Write(b); err != nil {
				return // the client went away: nothing more to tell it
			}
			b = b[:0]
		}
	}
	b = append(b, "]}\n"...)
	if _, err := bw.Write(b); err != nil {
		return
	}
	_ = bw.Flush()
}

// appendEligibility appends e as encoding/json writes it, with printable.JSON's escapes.
func appendEligibility(b []byte, e *ops.Eligibility) []byte {
	b = append(b, `{"query":`...)
	b = appendString(b, e.Query)
	if e.Number != "" {
		b = append(b, `,"number":`...)
		b = appendString(b, e.Number)
	}
	b = append(b, `,"eligible":`...)
	b = strconv.AppendBool(b, e.Eligible)
	b = append(b, `,"reason":`...)
	b = appendString(b, e.Reason)
	if !e.Since.IsZero() {
		b = append(b, `,"since":`...)
		b = appendTime(b, e.Since)
	}
	if e.Event != nil {
		b = append(b, `,"event":`...)
		b = appendEvent(b, e.Event)
	}
	b = append(b, `,"scope":`...)
	b = appendScope(b, e.Scope)
	b = append(b, `,"at":`...)
	b = appendTime(b, e.At)
	b = append(b, `,"destinations":`...)
	if e.Destinations == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range e.Destinations {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendConfirmation(b, &e.Destinations[i])
		}
		b = append(b, ']')
	}
	if e.Error != "" {
		b = append(b, `,"error":`...)
		b = appendString(b, e.Error)
	}
	return append(b, '}')
}

func appendEvent(b []byte, ev *consent.Event) []byte {
	b = append(b, `{"action":`...)
	b = appendString(b, string(ev.Action))
	b = append(b, `,"scope":`...)
	b = appendScope(b, ev.Scope)
	b = append(b, `,"policy":`...)
	b = appendString(b, string(ev.Policy))
	b = append(b, `,"occurredAt":`...)
	b = appendTime(b, ev.OccurredAt)
	b = append(b, `,"receivedAt":`...)
	b = appendTime(b, ev.ReceivedAt)
	if !ev.ExpiresAt.IsZero() {
		b = append(b, `,"expiresAt":`...)
		b = appendTime(b, ev.ExpiresAt)
	}
	for _, f := range [...]struct{ name, v string }{{"eventId", ev.EventID}, {"source", ev.Source}, {"said", ev.Said}} {
		if f.v != "" {
			b = append(b, `,"`...)
			b = append(b, f.name...)
			b = append(b, `":`...)
			b = appendString(b, f.v)
		}
	}
	return append(b, '}')
}

func appendScope(b []byte, s consent.Scope) []byte {
	b = append(b, `{"channel":`...)
	b = appendString(b, string(s.Channel))
	if s.Purpose != "" {
		b = append(b, `,"purpose":`...)
		b = appendString(b, s.Purpose)
	}
	if s.Brand != "" {
		b = append(b, `,"brand":`...)
		b = appendString(b, s.Brand)
	}
	return append(b, '}')
}

func appendConfirmation(b []byte, c *ops.Confirmation) []byte {
	b = append(b, `{"destination":`...)
	b = appendString(b, c.Destination)
	b = appendDestState(b, &c.DestState)
	b = append(b, `,"confirms":`...)
	b = strconv.AppendBool(b, c.Confirms)
	return append(b, '}')
}

// appendDestState appends d's fields (embedded in Confirmation), each after a comma.
func appendDestState(b []byte, d *queue.DestState) []byte {
	b = append(b, `,"state":`...)
	b = appendString(b, string(d.State))
	if d.ConfirmedAction != "" {
		b = append(b, `,"confirmedAction":`...)
		b = appendString(b, string(d.ConfirmedAction))
	}
	for _, f := range [...]struct {
		name string
		t    time.Time
	}{{"confirmedOccurredAt", d.ConfirmedOccur}, {"confirmedAt", d.ConfirmedAt}, {"confirmedExpiresAt", d.ConfirmedExpires}} {
		if !f.t.IsZero() {
			b = append(b, `,"`...)
			b = append(b, f.name...)
			b = append(b, `":`...)
			b = appendTime(b, f.t)
		}
	}
	if d.LastError != "" {
		b = append(b, `,"lastError":`...)
		b = appendString(b, d.LastError)
	}
	return b
}

// appendTime appends t as time.Time's MarshalJSON does (RFC 3339, nanoseconds as needed). A year
// outside 0 to 9999, which MarshalJSON refuses (and encoding/json with it, failing the whole answer),
// is written null: one unreadable time must not cost a dialer the other 9,999 answers.
func appendTime(b []byte, t time.Time) []byte {
	if y := t.Year(); y < 0 || y > 9999 {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendString appends s as a JSON string: as it stands when it holds only printable ASCII that
// needs no escape (every number, reason and timestamp), else through encoding/json and
// printable.JSON, which escape the rest as writeJSONAs does.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, printable.JSON(q)...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
