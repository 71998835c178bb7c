package intake

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
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
	"consentchannel": "consentChannel", "optoutchannel": "consentChannel", "purpose": "purpose", "brand": "scope",
}

// ImportRow is one data row of an import file. Its fields go to the store as the webhook's generic
// event (importEvent), so that an imported row obeys the same rules as a posted one.
type ImportRow struct {
	Line int // 1-based line of the file where the row starts
	// Record is the row as read, for the evidence: its text, or its first KeptRowLen bytes when
	// it is too long (Problem).
	Record  string
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
	Scope      string // the brand (a "brand" or "scope" column)
	// ConsentChannel and Purpose are the consent scope's (the webhook's consentChannel, purpose).
	ConsentChannel string
	Purpose        string
	// Problem, when set, is why the row is refused whatever its number (RowTooLong): it is sent
	// as such, to be recorded as a rejection.
	Problem string
	// Repeats counts further rows identical to this one that the import folded into it (Import):
	// they are recorded once, with this count.
	Repeats int
}

// ReaderOptions tune NewImportReader.
type ReaderOptions struct {
	// Column picks the number column by header name or 1-based position; empty: the first of
	// importColumns' number names, or column 1.
	Column string
	MaxRow int // longest row read whole, in bytes; 0: DefaultMaxRow
}

// ImportReader reads the rows of an import file, one at a time: memory stays flat in the file size
// and in the length of its lines (each row is bounded: ReaderOptions.MaxRow).
type ImportReader struct {
	sc      *rowScanner
	delim   byte
	idx     map[string]int // field -> column
	Header  []string       // the header row; nil when the file has none
	pending *scannedRow    // the first row when it was data, not a header

	// HeaderText is the header row as read (its lines joined by "\n"); empty when there is none.
	HeaderText string
}

// Delim is the file's delimiter: ',', ';' or '\t'.
func (ir *ImportReader) Delim() byte { return ir.delim }

// NewImportReader reads r (already decompressed: see Decompress). Text in UTF-16 with a
// byte-order mark is decoded, and a UTF-8 byte-order mark dropped.
func NewImportReader(r io.Reader, o ReaderOptions) (*ImportReader, error) {
	if o.MaxRow <= 0 {
		o.MaxRow = DefaultMaxRow
	}
	br := bufio.NewReaderSize(decodeText(r), 1<<16)
	first, err := br.Peek(4096)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("read the file: %w", err)
	}
	if i := bytes.IndexAny(first, "\r\n"); i >= 0 {
		first = first[:i]
	}
	ir := &ImportReader{delim: ','}
	for _, d := range []byte{'\t', ';', ','} {
		if bytes.IndexByte(first, d) >= 0 {
			ir.delim = d
			break
		}
	}
	ir.sc = newRowScanner(br, ir.delim, o.MaxRow)
	rec, err := ir.sc.next()
	if errors.Is(err, io.EOF) {
		return ir, ir.columns(o.Column, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("read the file: %w", err)
	}
	if rec.long || !isHeader(rec.fields) {
		ir.pending = &rec
		return ir, ir.columns(o.Column, nil)
	}
	ir.Header, ir.HeaderText = rec.fields, rec.text
	return ir, ir.columns(o.Column, ir.Header)
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
				return fmt.Errorf("no phone number column in the header (%s): name it with --column", headerList(header))
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
			return fmt.Errorf("--column %q is not in the header (%s)", column, headerList(header))
		}
	}
	return nil
}

// headerList is the header's columns for a message, cut short: a header may be a row's bound long.
func headerList(header []string) string { return truncate(strings.Join(header, ", "), 200) }

// Next returns the next row; io.EOF at the end. Blank lines are skipped; a row longer than the
// bound comes back with Problem set and its first bytes.
func (ir *ImportReader) Next() (ImportRow, error) {
	for {
		var rec scannedRow
		if ir.pending != nil {
			rec, ir.pending = *ir.pending, nil
		} else {
			var err error
			if rec, err = ir.sc.next(); err != nil {
				return ImportRow{}, err
			}
		}
		if !rec.long && (len(rec.fields) == 0 || (len(rec.fields) == 1 && strings.TrimSpace(rec.fields[0]) == "")) {
			continue
		}
		return ir.row(rec), nil
	}
}

func (ir *ImportReader) row(rec scannedRow) ImportRow {
	get := func(f string) string {
		if i, ok := ir.idx[f]; ok && i < len(rec.fields) {
			return strings.TrimSpace(rec.fields[i])
		}
		return ""
	}
	r := ImportRow{Line: rec.line, Record: rec.text, Raw: get("number"), Country: strings.ToUpper(get("country")),
		Action: get("action"), OccurredAt: importTime(get("occurredAt")), ExpiresAt: importTime(get("expiresAt")),
		Source: get("source"), Channel: get("channel"), Reason: get("reason"), Scope: get("scope"),
		ConsentChannel: get("consentChannel"), Purpose: get("purpose")}
	if rec.long {
		r = r.cut() // only its first bytes are kept, and no field of it is taken
	}
	return r
}

// textLen is the length of r's fields, which its event carries whole.
func (r ImportRow) textLen() int {
	return len(r.Raw) + len(r.Country) + len(r.Action) + len(r.OccurredAt) + len(r.ExpiresAt) + len(r.Source) +
		len(r.Channel) + len(r.Reason) + len(r.Scope) + len(r.ConsentChannel) + len(r.Purpose)
}

// cut is r refused as too long (RowTooLong) with every field cut: what is kept of a row too long
// to read whole, or to send in one request.
func (r ImportRow) cut() ImportRow {
	const n = queue.MaxRawLen
	return ImportRow{Line: r.Line, Record: truncate(r.Record, KeptRowLen), Raw: truncate(r.Raw, n),
		Country: truncate(r.Country, n), Action: truncate(r.Action, n), OccurredAt: truncate(r.OccurredAt, n),
		ExpiresAt: truncate(r.ExpiresAt, n), Source: truncate(r.Source, n), Channel: truncate(r.Channel, n),
		Reason: truncate(r.Reason, n), Scope: truncate(r.Scope, n), ConsentChannel: truncate(r.ConsentChannel, n),
		Purpose: truncate(r.Purpose, n), Problem: RowTooLong, Repeats: r.Repeats}
}

// importTimeLayouts are the time formats an import file may use: RFC 3339, and the date-time and
// date forms spreadsheets write, read as UTC.
var importTimeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"}

// importTime is s as RFC 3339 when it is in one of importTimeLayouts, else s as it is.
func importTime(s string) string {
	if s == "" {
		return s
	}
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
