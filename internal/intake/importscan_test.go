package intake

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"unicode/utf16"
)

// csvRows is what encoding/csv (as the reader used it before rows were bounded: lazy quotes, any
// number of fields) makes of in: each row's fields and first line.
func csvRows(in string, delim byte) (rows [][]string, lines []int) {
	r := csv.NewReader(strings.NewReader(in))
	r.Comma, r.LazyQuotes, r.FieldsPerRecord = rune(delim), true, -1
	for {
		rec, err := r.Read()
		if err != nil {
			return rows, lines
		}
		line, _ := r.FieldPos(0)
		rows, lines = append(rows, rec), append(lines, line)
	}
}

// scanRows is what rowScanner makes of in with a bound of max bytes a row.
func scanRows(t testing.TB, in string, delim byte, max int) []scannedRow {
	s := newRowScanner(strings.NewReader(in), delim, max)
	var out []scannedRow
	for {
		r, err := s.next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("next: %v", err)
		}
		out = append(out, r)
	}
}

// sameAsCSV fails unless the scanner, with no row over its bound, reads in as encoding/csv does.
func sameAsCSV(t testing.TB, in string, delim byte) {
	want, lines := csvRows(in, delim)
	got := scanRows(t, in, delim, len(in)+1)
	if len(got) != len(want) {
		t.Fatalf("%q: %d rows, encoding/csv %d: %q", in, len(got), len(want), want)
	}
	for i, r := range got {
		if r.long || r.line != lines[i] || strings.Join(r.fields, "\x00") != strings.Join(want[i], "\x00") {
			t.Fatalf("%q row %d: %q on line %d (long %v), encoding/csv %q on line %d", in, i, r.fields, r.line, r.long, want[i], lines[i])
		}
	}
}

func TestRowScannerReadsAsEncodingCSV(t *testing.T) {
	for _, in := range []string{
		"a,b\nc,d\n", "a,b\r\nc,d", "\n\n a , b \n\r\n\r\nc\n", "x\r", "x\r\r\n", "a\rb,c\n",
		`"q,1","q""2",3` + "\n", `"multi` + "\r\n" + `line",x` + "\n" + "next\n", `"open` + "\n" + "to the end\n",
		`"open` + "\n", `"open`, `a"b,"c"d,"e"` + "\n", `"a"` + "\r\n" + `"b"` + "\r", `,,` + "\n" + `""` + "\n",
		"\"\n\n\n\"\nx\n", "\"a\"\"\n\"\n", "\xff\xfe,\x00\n",
	} {
		sameAsCSV(t, in, ',')
	}
	sameAsCSV(t, "a\tb\t\"c\td\"\n", '\t')
	sameAsCSV(t, "a;b;\"c;d\"\n", ';')
}

// TestRowScannerBoundsRows: a row longer than the bound is cut to its first bytes, the rest of its
// line skipped, and the next row read as usual on its own line; so for a quoted field that runs on
// over many lines.
func TestRowScannerBoundsRows(t *testing.T) {
	long := strings.Repeat("7", 5000)
	in := "4155552671,a\n" + long + ",b\n4155552672,c\n\"" + strings.Repeat("x\n", 3000) + "4155552673,d"
	rows := scanRows(t, in, ',', 1024)
	var got []string
	for _, r := range rows {
		got = append(got, r.fields[0][:min(10, len(r.fields[0]))])
		if len(r.text) > 1024 {
			t.Fatalf("row on line %d kept %d bytes, over the bound", r.line, len(r.text))
		}
	}
	// The quoted field is cut where it passes the bound; the lines after it are rows of their own.
	want := []string{"4155552671", "7777777777", "4155552672", "x\nx\nx\nx\nx\n", "x", "4155552673"}
	if len(rows) < 6 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] || got[3] != want[3] ||
		got[4] != want[4] || got[len(got)-1] != want[5] {
		t.Fatalf("%d rows, starting %q, ending %q", len(rows), got[:min(6, len(got))], got[len(got)-1])
	}
	if !rows[1].long || rows[1].line != 2 || rows[1].text != strings.Repeat("7", KeptRowLen)[:len(rows[1].text)] ||
		len(rows[1].text) > KeptRowLen || rows[0].long || rows[2].long || rows[2].line != 3 {
		t.Fatalf("the long row %+v", rows[1])
	}
	if !rows[3].long || rows[3].line != 4 {
		t.Fatalf("the quoted field over 3000 lines: line %d long %v", rows[3].line, rows[3].long)
	}
	last := rows[len(rows)-1]
	if last.long || last.line != 3004 || last.fields[1] != "d" {
		t.Fatalf("the row after the long field: %+v", last)
	}
}

// zeros is an endless line: n bytes of zeros without a newline, read without allocating.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	n := min(int64(len(p)), z.n)
	clear(p[:n])
	z.n -= n
	return int(n), nil
}

// TestLongLineMemoryFlat: a line of 256 MiB (what a gzip bomb of zeros decompresses to) is read as
// one row too long, allocating a bounded amount: the reader never holds more than a row's bound.
func TestLongLineMemoryFlat(t *testing.T) {
	const size = 256 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ir, err := NewImportReader(&zeros{n: size}, ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	row, err := ir.Next()
	if err != nil || row.Problem != RowTooLong || row.Line != 1 || len(row.Record) != KeptRowLen {
		t.Fatalf("row %q... problem %q line %d (%v)", row.Record[:min(8, len(row.Record))], row.Problem, row.Line, err)
	}
	if _, err := ir.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the long line: %v, want the end", err)
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4*DefaultMaxRow+1<<20 {
		t.Fatalf("reading a line of %d MiB allocated %d KiB; want about the row bound (%d KiB)", size>>20, alloc>>10, DefaultMaxRow>>10)
	}
}

func utf16File(s string, bigEndian bool) []byte {
	var b bytes.Buffer
	for _, u := range append([]uint16{0xfeff}, utf16.Encode([]rune(s))...) {
		if bigEndian {
			b.Write([]byte{byte(u >> 8), byte(u)})
		} else {
			b.Write([]byte{byte(u), byte(u >> 8)})
		}
	}
	return b.Bytes()
}

// TestImportReaderDecodesText: UTF-16 with either byte order and UTF-8 with a byte-order mark read
// as UTF-8, with the header, the delimiter and non-ASCII text intact.
func TestImportReaderDecodesText(t *testing.T) {
	text := "Téléphone;reason\r\n020 7946 0958;demandé ✓\r\n+1 415 555 2671;\U0001F4F5\r\n"
	for name, in := range map[string][]byte{
		"utf-16le": utf16File(text, false),
		"utf-16be": utf16File(text, true),
		"utf-8":    append([]byte("\xef\xbb\xbf"), text...),
	} {
		t.Run(name, func(t *testing.T) {
			ir, err := NewImportReader(bytes.NewReader(in), ReaderOptions{Column: "téléphone"})
			if err != nil {
				t.Fatal(err)
			}
			if len(ir.Header) != 2 || ir.Header[0] != "Téléphone" {
				t.Fatalf("header %q", ir.Header)
			}
			var got []string
			for {
				r, err := ir.Next()
				if err != nil {
					break
				}
				got = append(got, r.Raw+"|"+r.Reason)
			}
			if strings.Join(got, " ") != "020 7946 0958|demandé ✓ +1 415 555 2671|\U0001F4F5" {
				t.Fatalf("rows %q", got)
			}
		})
	}
}
