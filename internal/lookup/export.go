package lookup

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// ExportFields are the stable column names of an export, in CSV order; JSONL uses the same names.
var ExportFields = []string{"kind", "number", "at", "raw", "action", "source", "channel", "reason", "scope",
	"eventId", "region", "occurredAt", "receivedAt", "expiresAt", "detail"}

// Writer writes audit records in one export format.
type Writer interface {
	Write(queue.AuditRecord) error
	Flush() error
}

// NewWriter returns a writer for format "jsonl" or "csv".
func NewWriter(w io.Writer, format string) (Writer, error) {
	switch format {
	case "jsonl", "":
		return &jsonlWriter{enc: json.NewEncoder(w)}, nil
	case "csv":
		cw := csv.NewWriter(w)
		if err := cw.Write(ExportFields); err != nil {
			return nil, err
		}
		return &csvWriter{w: cw}, nil
	}
	return nil, fmt.Errorf("--format %q: want jsonl or csv", format)
}

type jsonlWriter struct{ enc *json.Encoder }

func (j *jsonlWriter) Write(r queue.AuditRecord) error { return j.enc.Encode(utc(r)) }
func (j *jsonlWriter) Flush() error                    { return nil }

type csvWriter struct{ w *csv.Writer }

func (c *csvWriter) Write(r queue.AuditRecord) error {
	r = utc(r)
	return c.w.Write([]string{string(r.Kind), r.Number, stamp(r.At), r.Raw, string(r.Action), r.Source,
		r.Channel, r.Reason, r.Scope, r.EventID, r.Region, stamp(r.OccurredAt), stamp(r.ReceivedAt),
		stamp(r.ExpiresAt), r.Detail})
}

func (c *csvWriter) Flush() error {
	c.w.Flush()
	return c.w.Error()
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func utc(r queue.AuditRecord) queue.AuditRecord {
	for _, t := range []*time.Time{&r.At, &r.OccurredAt, &r.ReceivedAt, &r.ExpiresAt} {
		if !t.IsZero() {
			*t = t.UTC()
		}
	}
	return r
}
