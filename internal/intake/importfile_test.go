package intake

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/boltq"
)

func readAll(t *testing.T, in, column string) (*ImportReader, []ImportRow) {
	t.Helper()
	r, err := Decompress(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	ir, err := NewImportReader(r, ReaderOptions{Column: column})
	if err != nil {
		t.Fatalf("NewImportReader: %v", err)
	}
	var rows []ImportRow
	for {
		row, err := ir.Next()
		if errors.Is(err, io.EOF) {
			return ir, rows
		}
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
}

func TestImportReaderShapes(t *testing.T) {
	for _, c := range []struct {
		name, in, column string
		header           bool
		raws             []string
		lines            []int
	}{
		{"one a line", "(415) 555-2671\n\n+44 20 7946 0958\r\n", "", false, []string{"(415) 555-2671", "+44 20 7946 0958"}, []int{1, 3}},
		{"header by name", "name,Phone Number,reason\nAda,415 555 2671,asked\n", "", true, []string{"415 555 2671"}, []int{2}},
		{"semicolons", "tel;date\n4155552671;2024-01-02\n", "", true, []string{"4155552671"}, []int{2}},
		{"tabs and a BOM", "\xef\xbb\xbfmobile\tcountry\n020 7946 0958\tgb\n", "", true, []string{"020 7946 0958"}, []int{2}},
		{"column by position, no header", "x1,4155552671\nx2,4155552672\n", "2", false, []string{"4155552671", "4155552672"}, []int{1, 2}},
		{"column by name", "id,alt,cell\n1,2,4155552671\n", "cell", true, []string{"4155552671"}, []int{2}},
		{"quoted field over two lines", "phone,reason\n4155552671,\"said\nstop\"\n4155552672,x\n", "", true, []string{"4155552671", "4155552672"}, []int{2, 4}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ir, rows := readAll(t, c.in, c.column)
			if (ir.Header != nil) != c.header {
				t.Fatalf("header %v, want header=%v", ir.Header, c.header)
			}
			if len(rows) != len(c.raws) {
				t.Fatalf("rows %+v, want %v", rows, c.raws)
			}
			for i, r := range rows {
				if r.Raw != c.raws[i] || r.Line != c.lines[i] || r.Problem != "" {
					t.Fatalf("row %d: %+v, want raw %q on line %d", i, r, c.raws[i], c.lines[i])
				}
			}
		})
	}
}

func TestImportReaderFields(t *testing.T) {
	in := "phone,occurredAt,reason,source,country,action,channel,scope,expiresAt\n" +
		"020 7946 0958,2024-03-04T05:06:07Z,asked,crm,gb,remove,sms,brand-a,2031-01-01\n" +
		"4155552671,2024-01-02,,,,,,,\n" +
		"4155552672,2025-06-30 10:00:00,,,,,,,\n" +
		"4155552673,yesterday,,,,,,,\n" +
		"4155552674,,,,,maybe,,,\n" +
		"4155552675,1969-12-31,,,,,,,\n" +
		",,no number,,,,,,\n"
	_, rows := readAll(t, in, "")
	if len(rows) != 7 {
		t.Fatalf("%d rows, want 7", len(rows))
	}
	r := rows[0]
	if r.Country != "GB" || r.Action != "remove" || r.Reason != "asked" || r.Source != "crm" || r.Channel != "sms" ||
		r.Scope != "brand-a" || r.OccurredAt != "2024-03-04T05:06:07Z" || r.ExpiresAt != "2031-01-01T00:00:00Z" ||
		r.Record != strings.Split(in, "\n")[1] {
		t.Fatalf("row %+v", r)
	}
	if rows[1].OccurredAt != "2024-01-02T00:00:00Z" || rows[1].Action != "" {
		t.Fatalf("date-only row %+v", rows[1])
	}
	if rows[2].OccurredAt != "2025-06-30T10:00:00Z" {
		t.Fatalf("date-time row %+v", rows[2])
	}
	// Values the reader does not know stay as written, for the event's rules to refuse.
	if rows[3].OccurredAt != "yesterday" || rows[4].Action != "maybe" || rows[6].Raw != "" {
		t.Fatalf("rows kept as written: %+v %+v %+v", rows[3], rows[4], rows[6])
	}
	for _, r := range rows {
		if r.Problem != "" {
			t.Fatalf("row %+v refused by the reader", r)
		}
	}
}

func TestImportReaderColumnErrors(t *testing.T) {
	for _, c := range []struct{ in, column, want string }{
		{"name,reason\nAda,asked\n", "", "no phone number column"},
		{"phone\n4155552671\n", "cell", "not in the header"},
		{"4155552671\n", "cell", "has no header"},
		{"phone\n4155552671\n", "3", "numbered from 1"},
	} {
		_, err := NewImportReader(strings.NewReader(c.in), ReaderOptions{Column: c.column})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("%q --column %q: %v, want %q", c.in, c.column, err, c.want)
		}
	}
}

func gz(t *testing.T, s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestGzipAndDigest(t *testing.T) {
	plain := "phone\n4155552671\n4155552672\n"
	d1, err := Digest(strings.NewReader(plain))
	if err != nil {
		t.Fatal(err)
	}
	d2, err := Digest(bytes.NewReader(gz(t, plain)))
	if err != nil || d1 != d2 {
		t.Fatalf("digest of the gzip file %s (%v), of the plain file %s: want the same", d2, err, d1)
	}
	if d3, _ := Digest(strings.NewReader(plain + "4155552673\n")); d3 == d1 {
		t.Fatal("different content, same digest")
	}
	r, err := Decompress(bytes.NewReader(gz(t, plain)))
	if err != nil {
		t.Fatal(err)
	}
	ir, err := NewImportReader(r, ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if row, err := ir.Next(); err != nil || row.Raw != "4155552671" || row.Line != 2 {
		t.Fatalf("first row of the gzip file %+v, %v", row, err)
	}
	if a, b := ImportEventID(d1, 2), ImportEventID(d1, 3); a == b || a != ImportEventID(d1, 2) || !strings.HasPrefix(a, "import:") {
		t.Fatalf("event ids %q %q", a, b)
	}
}

// flaky fails its first n calls as unavailable, then writes to next.
type flaky struct {
	mu   sync.Mutex
	n    int
	next ImportSink
}

func (f *flaky) Send(ctx context.Context, rows []ImportRow, ids []string) ([]ImportOutcome, error) {
	f.mu.Lock()
	fail := f.n > 0
	f.n--
	f.mu.Unlock()
	if fail {
		// Refused before anything was sent (as a refused connection): the retry's duplicates are
		// an earlier run's.
		return nil, &UnsentError{Rows: len(rows), Err: fmt.Errorf("store down: %w", queue.ErrUnavailable)}
	}
	return f.next.Send(ctx, rows, ids)
}

// TestImportIntoStoreAndRerun: rows of every kind into the embedded store through a sink that fails
// at first; the counts, the report, the events' fields; a rerun changes nothing.
func TestImportIntoStoreAndRerun(t *testing.T) {
	s, err := boltq.Open(filepath.Join(t.TempDir(), "q.db"), boltq.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var b strings.Builder
	b.WriteString("phone,occurredAt,source\n")
	for i := range 1200 {
		switch {
		case i%100 == 7:
			fmt.Fprintf(&b, "1%d,,\n", i) // not a number
		case i%100 == 8:
			fmt.Fprintf(&b, "4155550000,never %d,\n", i) // a bad time
		default:
			fmt.Fprintf(&b, "(415) 555-%04d,2024-01-02T03:04:05Z,crm\n", 1000+i)
		}
	}
	in := b.String()
	digest, _ := Digest(strings.NewReader(in))
	run := func() (*ImportCounts, map[int]string) {
		ir, err := NewImportReader(strings.NewReader(in), ReaderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		c := &ImportCounts{}
		problems := map[int]string{}
		sink := &flaky{n: 2, next: StoreSink{Store: s, DefaultRegion: "US"}}
		err = Import(context.Background(), ir, sink, ImportOptions{Digest: digest, BatchSize: 100, Workers: 3, RetryWait: time.Millisecond,
			OnProblem: func(r ImportRow, o ImportOutcome) { problems[r.Line] = o.Status + ":" + o.Reason }}, c)
		if err != nil {
			t.Fatalf("Import: %v", err)
		}
		return c, problems
	}
	c, problems := run()
	if c.Rows.Load() != 1200 || c.Accepted.Load() != 1176 || c.Rejected.Load() != 12 || c.Invalid.Load() != 12 {
		t.Fatalf("counts rows %d accepted %d rejected %d invalid %d", c.Rows.Load(), c.Accepted.Load(), c.Rejected.Load(), c.Invalid.Load())
	}
	if len(problems) != 24 || problems[9] != "rejected:too_short" || !strings.HasPrefix(problems[10], "invalid:occurredAt") {
		t.Fatalf("problems %v", problems)
	}
	// Both kinds are kept as evidence, with the row as received, as a webhook's would be.
	rej, err := s.RejectionsSince(context.Background(), time.Time{}, 100)
	if err != nil || len(rej) != 24 {
		t.Fatalf("%d rejections recorded (%v), want 24", len(rej), err)
	}
	reasons := map[string]int{}
	for _, r := range rej {
		reasons[r.Reason]++
		if r.Source != "import" || !strings.Contains(r.Body, `"importRow"`) || !strings.HasPrefix(r.EventID, "import:") {
			t.Fatalf("rejection %+v", r)
		}
		if r.Reason == "bad_occurred_at" && r.Number != "+14155550000" {
			t.Fatalf("a refused row with a valid number is not kept under it: %+v", r)
		}
	}
	if reasons["too_short"] != 12 || reasons["bad_occurred_at"] != 12 {
		t.Fatalf("rejection reasons %v", reasons)
	}
	h, found, err := s.Lookup(context.Background(), "+14155551000", queue.Page{})
	st, trail := h.State, h.Records
	if err != nil || !found || st.State != queue.StatePending || len(trail) != 1 {
		t.Fatalf("lookup %+v %+v %v %v", st, trail, found, err)
	}
	if r := trail[0]; r.Source != "import:crm" || !r.OccurredAt.Equal(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)) ||
		r.EventID != ImportEventID(digest, 2) || r.Raw != "(415) 555-1000" {
		t.Fatalf("imported record %+v", r)
	}

	c, _ = run()
	if c.Accepted.Load() != 0 || c.Duplicate.Load() != 1176 {
		t.Fatalf("rerun: accepted %d duplicate %d, want every valid row a duplicate", c.Accepted.Load(), c.Duplicate.Load())
	}
	if st, _ := s.Stats(context.Background()); st.Ready != 1176 {
		t.Fatalf("after the rerun %d ready, want 1176", st.Ready)
	}
}

func TestImportStopsAtAFailureThatLasts(t *testing.T) {
	ir, _ := NewImportReader(strings.NewReader("4155552671\n"), ReaderOptions{})
	var c ImportCounts
	err := Import(context.Background(), ir, &flaky{n: 1 << 30}, ImportOptions{Digest: "d", RetryWait: time.Millisecond}, &c)
	if !errors.Is(err, queue.ErrUnavailable) {
		t.Fatalf("Import = %v, want the store's error after its retries", err)
	}
}

// sameAsJSON fails unless a row read straight into the event (as StoreSink does) is read as its
// JSON is by the import endpoint (as ServerSink sends it): the two ways into the store agree.
func sameAsJSON(t *testing.T, row ImportRow) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	if !utf8.ValidString(row.Record) {
		return // JSON has no way to carry it as it is
	}
	row.Repeats = len(row.Raw) % 3
	b, err := json.Marshal(importEvent(row, "import:x:1", ""))
	if err != nil {
		t.Fatal(err)
	}
	w := rowEvent(row, "import:x:1")
	direct, derr := readEvent(&w, now, "US")
	viaJSON, jerr := parseEvent(b, now, "US")
	if fmt.Sprint(direct, derr) != fmt.Sprint(viaJSON, jerr) {
		t.Fatalf("row %+v\nread directly: %+v %v\nfrom its JSON: %+v %v", row, direct, derr, viaJSON, jerr)
	}
}

// FuzzImportReader: whatever the file, reading never fails or panics; rows come in order of their
// lines; with rows under the bound the fields are those encoding/csv reads; and no row kept is
// over the bound, however long the file's lines.
func FuzzImportReader(f *testing.F) {
	for _, s := range []string{"phone\n4155552671\n", "a;b\n1;2\n", "\"unterminated\n", "\xef\xbb\xbf\t\n", "x,y\n,,,,\n",
		"\xff\xfep\x00\n\x001\x00", "\xfe\xff\x00p\x00\n", "\"a\"b,\"\"\"\r\n\"x\ny\"\r", strings.Repeat("9", 40) + "\n1,2\n"} {
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, in, column string) {
		sameAsCSV(t, in, ',')
		prev := 0
		for _, r := range scanRows(t, in, ',', 16) {
			if r.line <= prev || len(r.text) > 16 {
				t.Fatalf("row %+v after line %d, or over the bound of 16", r, prev)
			}
			for _, fl := range r.fields {
				if len(fl) > 16 {
					t.Fatalf("field %q over the bound of 16", fl)
				}
			}
			prev = r.line
		}
		ir, err := NewImportReader(strings.NewReader(in), ReaderOptions{Column: column})
		if err != nil {
			return
		}
		prev = 0
		for range 10000 {
			row, err := ir.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			if row.Line <= prev || (row.Problem != "" && row.Problem != RowTooLong) {
				t.Fatalf("row %+v after line %d", row, prev)
			}
			prev = row.Line
			sameAsJSON(t, row)
		}
	})
}
