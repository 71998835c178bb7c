package cli

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedScrub imports opt-outs into an embedded store in a temporary directory: +14155550101 and
// +14155550102 opted out of everything; +14155550103 opted out, then consented to everything.
func seedScrub(t *testing.T) string {
	t.Helper()
	clearEnv(t)
	dir := t.TempDir()
	t.Setenv("DNCSYNC_DATA_DIR", filepath.Join(dir, "data"))
	in := filepath.Join(dir, "optouts.csv")
	rows := "phone,action,occurredAt\n" +
		"+14155550101,add,2026-01-01T00:00:00Z\n" +
		"+14155550102,add,2026-01-02T00:00:00Z\n" +
		"+14155550103,add,2026-01-03T00:00:00Z\n" +
		"+14155550103,remove,2026-02-03T00:00:00Z\n"
	if err := os.WriteFile(in, []byte(rows), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := run(t, "import", "--progress-every", "1h", in); code != 0 {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, errOut)
	}
	return dir
}

const callList = "name;phone;note\n" +
	"Ann;+1 415 555 0101;\"two\nlines\"\n" +
	"Bob;(415) 555-0102;b\n" +
	"Cy;415.555.0103;c\n" +
	"Di;+14155550104;d\n" +
	"Ed;12;e\n"

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v\n%s", path, err, b)
	}
	return recs
}

// A scrub removes exactly the rows whose number may not be called, keeps the others byte for byte,
// and reports each removal with the request that decided.
func TestScrubRemovesTheIneligibleRows(t *testing.T) {
	dir := seedScrub(t)
	list := filepath.Join(dir, "calls.csv")
	if err := os.WriteFile(list, []byte(callList), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "scrub", "--channel", "voice", "--purpose", "marketing", "--progress-every", "1h", list)
	if code != 0 {
		t.Fatalf("scrub: exit %d\n%s\n%s", code, out, errOut)
	}
	got, err := os.ReadFile(filepath.Join(dir, "calls.scrubbed.csv"))
	if err != nil {
		t.Fatal(err)
	}
	want := "name;phone;note\nCy;415.555.0103;c\nDi;+14155550104;d\n"
	if string(got) != want {
		t.Fatalf("scrubbed list:\n%s\nwant:\n%s", got, want)
	}
	rep := readCSV(t, filepath.Join(dir, "calls.scrub-report.csv"))
	if len(rep) != 4 || rep[0][0] != "line" {
		t.Fatalf("report %q: want a header and 3 rows", rep)
	}
	for i, w := range []struct{ line, number, reason, scope string }{
		{"2", "+14155550101", "opted_out", "all"}, {"4", "+14155550102", "opted_out", "all"}, {"7", "", "invalid_number", ""},
	} {
		r := rep[i+1]
		if r[0] != w.line || r[2] != w.number || r[3] != w.reason || r[6] != w.scope {
			t.Errorf("report row %d: %q; want line %s %s %s scope %q", i+1, r, w.line, w.number, w.reason, w.scope)
		}
	}
	if rep[1][4] != "2026-01-01T00:00:00Z" || rep[1][8] != "2026-01-01T00:00:00Z" || !strings.HasPrefix(rep[1][5], "import:") {
		t.Errorf("the first removal does not name its deciding request: %q", rep[1])
	}
	if !strings.Contains(errOut, "5 rows") || !strings.Contains(errOut, "2 eligible, 3 removed (opted_out 2, invalid_number 1)") {
		t.Errorf("summary:\n%s", errOut)
	}
}

// With --flag every row is kept and a last column says why not; gzip in, stdout out.
func TestScrubFlagsFromGzipToStdout(t *testing.T) {
	dir := seedScrub(t)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("+14155550101\n4155550104\n"))
	zw.Close()
	list := filepath.Join(dir, "calls.txt.gz")
	if err := os.WriteFile(list, gz.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "scrub", "--flag", "--out", "-", "--progress-every", "1h", list)
	if code != 0 {
		t.Fatalf("scrub: exit %d\n%s\n%s", code, out, errOut)
	}
	if want := "+14155550101,opted_out\n4155550104,\n"; out != want {
		t.Fatalf("flagged list %q, want %q", out, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "calls.scrub-report.csv")); err != nil {
		t.Fatalf("no report: %v", err)
	}
}

func TestScrubUsage(t *testing.T) {
	seedScrub(t)
	for _, args := range [][]string{{"scrub"}, {"scrub", "--channel", "fax", "x.csv"}, {"scrub", "--batch", "10001", "x.csv"},
		{"scrub", "--country", "XX", "x.csv"}} {
		if code, _, errOut := run(t, args...); code != 2 {
			t.Errorf("%q: exit %d, want 2\n%s", args, code, errOut)
		}
	}
}
