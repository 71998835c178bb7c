package ops

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/printable"
	"github.com/dncsync/dncsync/internal/queue"
)

// ExportFields are the stable column names of an export, in CSV order; JSONL uses the same names.
var ExportFields = []string{"kind", "number", "at", "raw", "action", "source", "channel", "reason", "scope",
	"eventId", "region", "occurredAt", "receivedAt", "expiresAt", "detail", "repeats", "consentChannel", "purpose", "policy"}

// Writer writes audit records in one export format.
type Writer interface {
	Write(queue.AuditRecord) error
	Flush() error
}

// NewWriter returns a writer for format "jsonl" or "csv".
func NewWriter(w io.Writer, format string) (Writer, error) {
	switch format {
	case "jsonl", "":
		return &jsonlWriter{enc: json.NewEncoder(printable.JSONWriter(w))}, nil
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
	row := []string{string(r.Kind), r.Number, stamp(r.At), r.Raw, string(r.Action), r.Source,
		r.Channel, r.Reason, r.Scope, r.EventID, r.Region, stamp(r.OccurredAt), stamp(r.ReceivedAt),
		stamp(r.ExpiresAt), r.Detail, "", r.ConsentChannel, r.Purpose, r.Policy}
	if r.Repeats != 0 {
		row[15] = strconv.Itoa(r.Repeats)
	}
	for i := range row {
		// Escaped for the terminal or spreadsheet it is read in (the jsonl export keeps the exact
		// text), then kept from being run as a formula.
		row[i] = SafeCell(printable.Escape(row[i]))
	}
	return c.w.Write(row)
}

// SafeCell neutralizes a cell a spreadsheet would run as a formula (one starting with = + - @, a
// tab or a carriage return: OWASP's CSV injection advice) by a leading apostrophe. Senders write
// the raw fields, so an export opened in a spreadsheet must not run what they wrote. An E.164
// number ("+14155552671") is left as it is: a spreadsheet reads it as a number, never a formula.
func SafeCell(s string) string {
	if s == "" || !strings.ContainsRune("=+-@\t\r", rune(s[0])) || isE164(s) {
		return s
	}
	return "'" + s
}

func isE164(s string) bool {
	if len(s) < 2 || s[0] != '+' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
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

// Export writes the audit records written in [since, until) (zero bounds are open) to w in
// format "jsonl" or "csv".
func (o *Ops) Export(ctx context.Context, since, until time.Time, format string, w io.Writer) error {
	ew, err := NewWriter(w, format)
	if err != nil {
		return err
	}
	if err := o.Store.Export(ctx, since, until, ew.Write); err != nil {
		return err
	}
	return ew.Flush()
}
