package intake

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// An import file is CSV (comma, semicolon or tab, detected from the first line) or one number a
// line, which is CSV of one column. A first line without a digit is a header: its columns are
// matched by name (importColumns). Without a header the number is the first column, or the one
// --column names by position. A file that starts with gzip's magic bytes is decompressed.

// importColumns maps normalized header names (lower case, letters and digits only) to the field
// they fill. Several spellings each, as exports from CRMs and dialers name them.
var importColumns = map[string]string{
	"phonenumber": "number", "phone": "number", "number": "number", "msisdn": "number", "e164": "number",
	"telephone": "number", "tel": "number", "mobile": "number", "mobilenumber": "number", "phoneno": "number",
	"reason": "reason", "source": "source", "channel": "channel", "scope": "scope",
	"occurredat": "occurredAt", "occurred": "occurredAt", "optedoutat": "occurredAt", "optoutdate": "occurredAt",
	"requestedat": "occurredAt", "date": "occurredAt",
	"country": "country", "region": "country", "countrycode": "country",
	"action": "action", "expiresat": "expiresAt",
}

// ImportRow is one data row of an import file. Its fields go to the store as the webhook's generic
// event (importEvent), so that an imported row obeys the same rules as a posted one.
type ImportRow struct {
	Line    int    // 1-based line of the file where the row starts
	Record  string // the row as read (fields joined by the delimiter), for the evidence
	Raw     string // the number as written
	Country string
	Action  string // as written; empty: add
	// OccurredAt and ExpiresAt are RFC 3339 when the file's value was a time or date this reader
	// knows (importTimeLayouts), else the value as written, which the event's rules then refuse.
	OccurredAt string
	ExpiresAt  string
	Source     string
	Channel    string
	Reason     string
	Scope      string
	// Invalid, when set, says the row could not be read at all (broken CSV quoting): it is
	// reported, not sent.
	Invalid string
}

// ImportReader reads the rows of an import file, one at a time: memory stays flat in the file size.
type ImportReader struct {
	csv     *csv.Reader
	delim   rune
	idx     map[string]int // field -> column
	Header  []string       // the header row; nil when the file has none
	now     func() time.Time
	pending []string // the first row when it was data, not a header
	line    int
}

// NewImportReader reads r (already decompressed: see Decompress). column picks the number column
// by header name or 1-based position; empty: the first of importColumns' number names, or column 1.
func NewImportReader(r io.Reader, column string, now func() time.Time) (*ImportReader, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3) // a byte-order mark, as spreadsheets write
	}
	first, err := br.Peek(4096)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("read the file: %w", err)
	}
	if i := bytes.IndexAny(first, "\r\n"); i >= 0 {
		first = first[:i]
	}
	ir := &ImportReader{delim: ',', now: now}
	for _, d := range []rune{'\t', ';', ','} {
		if bytes.ContainsRune(first, d) {
			ir.delim = d
			break
		}
	}
	ir.csv = csv.NewReader(br)
	ir.csv.Comma = ir.delim
	ir.csv.FieldsPerRecord = -1
	ir.csv.LazyQuotes = true
	ir.csv.ReuseRecord = true
	rec, err := ir.csv.Read()
	if errors.Is(err, io.EOF) {
		return ir, ir.columns(column, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("line 1: %w", err)
	}
	if !isHeader(rec) {
		ir.pending = append([]string(nil), rec...)
		return ir, ir.columns(column, nil)
	}
	ir.Header = append([]string(nil), rec...)
	return ir, ir.columns(column, ir.Header)
}

// isHeader: a first row is a header when it has no digit at all, or names a known column.
func isHeader(rec []string) bool {
	digits := false
	for _, f := range rec {
		if _, ok := importColumns[normHeader(f)]; ok {
			return true
		}
		digits = digits || strings.ContainsAny(f, "0123456789")
	}
	return !digits
}

func normHeader(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// columns decides which column fills which field.
func (ir *ImportReader) columns(column string, header []string) error {
	ir.idx = map[string]int{}
	for i, h := range header {
		if f, ok := importColumns[normHeader(h)]; ok {
			if _, seen := ir.idx[f]; !seen {
				ir.idx[f] = i
			}
		}
	}
	switch n, err := strconv.Atoi(column); {
	case column == "":
		if _, ok := ir.idx["number"]; !ok {
			if header != nil {
				return fmt.Errorf("no phone number column in the header (%s): name it with --column", strings.Join(header, ", "))
			}
			ir.idx["number"] = 0
		}
	case err == nil:
		if n < 1 || (header != nil && n > len(header)) {
			return fmt.Errorf("--column %d: columns are numbered from 1", n)
		}
		ir.idx["number"] = n - 1
	default:
		found := false
		for i, h := range header {
			if strings.EqualFold(strings.TrimSpace(h), column) || normHeader(h) == normHeader(column) {
				ir.idx["number"], found = i, true
				break
			}
		}
		if !found {
			if header == nil {
				return fmt.Errorf("--column %q: the file has no header; name the column by its position (1, 2, ...)", column)
			}
			return fmt.Errorf("--column %q is not in the header (%s)", column, strings.Join(header, ", "))
		}
	}
	return nil
}

// Next returns the next row; io.EOF at the end. Blank lines are skipped. A row the CSV reader
// cannot read comes back with Invalid set.
func (ir *ImportReader) Next() (ImportRow, error) {
	for {
		var rec []string
		var err error
		if ir.pending != nil {
			rec, ir.pending = ir.pending, nil
			ir.line = 1
		} else {
			rec, err = ir.csv.Read()
			if err == nil {
				ir.line, _ = ir.csv.FieldPos(0) // FieldPos panics without a record
			}
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return ImportRow{Line: pe.StartLine, Invalid: "unreadable CSV: " + pe.Err.Error()}, nil
			}
			return ImportRow{}, err
		}
		if len(rec) == 0 || (len(rec) == 1 && strings.TrimSpace(rec[0]) == "") {
			continue
		}
		return ir.row(rec), nil
	}
}

func (ir *ImportReader) row(rec []string) ImportRow {
	get := func(f string) string {
		if i, ok := ir.idx[f]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	return ImportRow{Line: ir.line, Record: strings.Join(rec, string(ir.delim)), Raw: get("number"),
		Country: strings.ToUpper(get("country")), Action: get("action"), OccurredAt: importTime(get("occurredAt")),
		ExpiresAt: importTime(get("expiresAt")), Source: get("source"), Channel: get("channel"),
		Reason: get("reason"), Scope: get("scope")}
}

// importTimeLayouts are the time formats an import file may use: RFC 3339, and the date-time and
// date forms spreadsheets write, read as UTC.
var importTimeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"}

// importTime is s as RFC 3339 when it is in one of importTimeLayouts, else s as it is.
func importTime(s string) string {
	for _, l := range importTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC().Format(time.RFC3339Nano)
		}
	}
	return s
}

// Decompress returns r decompressed when it starts with gzip's magic bytes, else r as it is.
func Decompress(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, nil
	}
	return br, nil
}

// Digest is the hex SHA-256 of the decompressed content of r: the same rows give the same event
// ids whether the file was compressed or not.
func Digest(r io.Reader) (string, error) {
	d, err := Decompress(r)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	if _, err := io.Copy(h, d); err != nil {
		return "", fmt.Errorf("read the file: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ImportEventID is the stable event id of the row on line of the file with digest: a rerun of the
// same file gives the same ids, so the store answers duplicate and changes nothing.
func ImportEventID(digest string, line int) string {
	return "import:" + digest[:min(24, len(digest))] + ":" + strconv.Itoa(line)
}

// ImportSource is the source recorded for an imported row: "import", or "import:<source>" when
// the row names where it came from.
func ImportSource(rowSource string) string {
	if rowSource == "" {
		return "import"
	}
	return "import:" + rowSource
}
