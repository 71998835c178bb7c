package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/redis/go-redis/v9"

	"github.com/dncsync/dncsync/internal/redistest"
)

// The hardening of `dncsync import` (issue 16, items 1, 3, 4, 5; issue 21's empty phone cell),
// through the real binary.

// runImport runs the binary with env and returns stdout, stderr, the exit status and the peak
// resident memory of the process in bytes (VmHWM, read while it runs: the rusage of a child
// started with vfork, as Go starts them, counts the parent's memory too).
func runImport(t *testing.T, env []string, args ...string) (string, string, int, int64) {
	t.Helper()
	cmd := exec.Command(binPath, args...)
	cmd.Env = append(cleanEnv(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	peak := make(chan int64)
	go func() {
		var hwm int64
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			if n := vmHWM(cmd.Process.Pid); n > hwm {
				hwm = n
			}
			select {
			case <-done:
				peak <- hwm
				return
			case <-tick.C:
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	return out.String(), errb.String(), exitCode(err), <-peak
}

// vmHWM is the peak resident memory of process pid in bytes; 0 once it has exited.
func vmHWM(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
			return kb << 10
		}
	}
	return 0
}

// readReport reads an import's report: its header and rows by line.
func readReport(t *testing.T, path string) ([]string, map[string][]string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("report %s: %d records, %v", path, len(recs), err)
	}
	byLine := map[string][]string{}
	for _, r := range recs[1:] {
		byLine[r[0]] = r
	}
	return recs[0], byLine
}

func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// rejectedList is `dncsync rejected list --json` on a store.
func rejectedList(t *testing.T, env []string) []struct{ Raw, Number, Reason, Body string } {
	t.Helper()
	out, errOut, code := runCmd(t, env, "", "rejected", "list", "--json")
	var ans struct {
		Rejections []struct{ Raw, Number, Reason, Body string }
	}
	if err := json.Unmarshal([]byte(out), &ans); err != nil || code != 0 {
		t.Fatalf("rejected list: exit %d %v\n%s\n%s", code, err, out, errOut)
	}
	return ans.Rejections
}

// TestImportGzipBombMemoryFlat: a gzip bomb (64 MiB of zeros, one line without a newline) is one
// row, rejected as row_too_long with a truncated copy, in bounded memory: the process never holds
// the line. Before rows were bounded, this file took 1.4 GB and was read as a header.
func TestImportGzipBombMemoryFlat(t *testing.T) {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
	zero := make([]byte, 1<<20)
	for range 64 {
		zw.Write(zero)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	bomb := writeFile(t, "bomb.gz", b.Bytes())
	env := []string{"DNCSYNC_DATA_DIR=" + t.TempDir()}
	out, errOut, code, rss := runImport(t, env, "import", bomb)
	t.Logf("peak RSS %d MiB", rss>>20)
	if code != exitNothingImported || !strings.Contains(out, "1 rows") || !strings.Contains(out, "1 rejected") {
		t.Fatalf("import of the bomb: exit %d, want %d\n%s\n%.300s", code, exitNothingImported, out, errOut)
	}
	if rss == 0 { // the precondition: the process was measured
		t.Fatal("no reading of the import's peak memory")
	}
	if rss > 120<<20 {
		t.Fatalf("peak RSS %d MiB reading a 64 MiB line: want well under it (the row bound is 64 KiB)", rss>>20)
	}
	header, rows := readReport(t, strings.TrimSuffix(bomb, ".gz")+".rejects.csv")
	r := rows["1"]
	if strings.Join(header, ",") != "line,raw,status,reason,record,repeats" || len(r) != 6 || r[2] != "rejected" ||
		r[3] != "row_too_long" || len(r[4]) == 0 || len(r[4]) > 2048 {
		t.Fatalf("report %v: line 1 %.80q", header, r)
	}
	rej := rejectedList(t, env)
	if len(rej) != 1 || rej[0].Reason != "row_too_long" || len(rej[0].Body) > 8192 {
		t.Fatalf("rejections recorded: %.300v", rej)
	}
}

// TestImportLongRowRejected: among good rows, one row over --max-row is rejected as row_too_long
// (recorded under its number, with its first bytes), the others imported, exit 0.
func TestImportLongRowRejected(t *testing.T) {
	var in strings.Builder
	in.WriteString("phone,reason\n")
	for i := range 30 {
		fmt.Fprintf(&in, "(415) 555-%04d,asked\n", 2600+i)
	}
	fmt.Fprintf(&in, "(415) 555-2700,%s\n", strings.Repeat("said so ", 20000)) // 160 KB
	in.WriteString("(415) 555-2701,asked\n")
	path := writeTemp(t, in.String())
	env := []string{"DNCSYNC_DATA_DIR=" + t.TempDir()}
	out, errOut, code := runCmd(t, env, "", "import", path)
	if code != 0 || !strings.Contains(out, "31 accepted") || !strings.Contains(out, "1 rejected") {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, errOut)
	}
	_, rows := readReport(t, strings.TrimSuffix(path, ".csv")+".rejects.csv")
	if r := rows["32"]; len(r) != 6 || r[3] != "row_too_long" || !strings.HasPrefix(r[4], "(415) 555-2700,said so") || len(r[4]) > 2048 {
		t.Fatalf("the long row reported as %.120q", r)
	}
	rej := rejectedList(t, env)
	if len(rej) != 1 || rej[0].Reason != "row_too_long" || rej[0].Number != "+14155552700" {
		t.Fatalf("rejections recorded: %.300v", rej)
	}
	// A row bound too small for the setting's range is refused with the variable to set.
	if _, errOut, code := runCmd(t, append(env, "DNCSYNC_IMPORT_MAX_ROW=10"), "", "import", path); code != 1 ||
		!strings.Contains(errOut, "DNCSYNC_IMPORT_MAX_ROW") {
		t.Fatalf("DNCSYNC_IMPORT_MAX_ROW=10: exit %d\n%s", code, errOut)
	}
}

// TestImportRepeatsRecordedOnce: 20,000 rows of one number with the same content make one event
// key and one audit record in Redis, with the count; the summary counts every row; a rerun
// changes nothing.
func TestImportRepeatsRecordedOnce(t *testing.T) {
	srv := redistest.Start(t)
	env := []string{"REDIS_URL=" + srv.URL()}
	var in strings.Builder
	in.WriteString("phone,reason\n")
	for range 20000 {
		in.WriteString("(415) 555-2671,asked\n")
	}
	in.WriteString("(415) 555-2672,asked\n")
	path := writeTemp(t, in.String())
	out, errOut, code := runCmd(t, env, "", "import", path)
	if code != 0 || !strings.Contains(out, "20001 accepted") || !strings.Contains(out, "19999 of the rows repeated") {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, errOut)
	}
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	ctx := context.Background()
	// Event ids are fields of their number's state (Redis layout 3, docs/redis.md): i1..i4.
	states, err := rdb.Keys(ctx, "{dncsync}:state:*").Result()
	if err != nil || len(states) != 2 {
		t.Fatalf("%d number states in Redis (%v), want 2", len(states), err)
	}
	ids := 0
	for _, k := range states {
		vals, err := rdb.HMGet(ctx, k, "i1", "i2", "i3", "i4").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			if v != nil {
				ids++
			}
		}
	}
	if old, err := rdb.Keys(ctx, "*seen*").Result(); err != nil || ids != 2 || len(old) != 0 {
		t.Fatalf("%d event ids in the states and %d keys of their own (%v), want 2 and none", ids, len(old), err)
	}
	if n, err := rdb.XLen(ctx, "{dncsync}:audit").Result(); err != nil || n != 2 {
		t.Fatalf("%d audit records (%v), want 2", n, err)
	}
	out, _, code = runCmd(t, env, "", "lookup", "4155552671")
	var ans struct {
		History []struct {
			Kind    string
			Repeats int
		}
	}
	if err := json.Unmarshal([]byte(out), &ans); err != nil || code != 0 || len(ans.History) != 1 || ans.History[0].Repeats != 19999 {
		t.Fatalf("lookup: exit %d %v\n%s", code, err, out)
	}
	out, _, code = runCmd(t, env, "", "import", path)
	if code != 0 || !strings.Contains(out, "0 accepted, 20001 duplicate") {
		t.Fatalf("rerun: exit %d\n%s", code, out)
	}
	if n, _ := rdb.XLen(ctx, "{dncsync}:audit").Result(); n != 2 {
		t.Fatalf("after the rerun %d audit records, want 2", n)
	}
}

// TestImportServerSplitsByBytes: through --server, batches of rows past the service's 1 MiB body
// limit are split, a row too long for any request is rejected and reported (the import goes on),
// and the summary's counts are what the service recorded.
func TestImportServerSplitsByBytes(t *testing.T) {
	sim, env := startSim(t, 60000)
	p := startServe(t, append(env, "DNCSYNC_DATA_DIR="+t.TempDir(), "DNCSYNC_ADMIN_TOKEN="+adminToken, "DNCSYNC_BATCH_SIZE=1000")...)
	var in strings.Builder
	in.WriteString("phone,reason\n")
	var want []string
	note := strings.Repeat("n", 1500)
	for i := range 1500 {
		fmt.Fprintf(&in, "(646) 555-%04d,%s %d\n", i, note, i)
		want = append(want, fmt.Sprintf("+1646555%04d", i))
	}
	fmt.Fprintf(&in, "(646) 555-9999,%s\n", strings.Repeat("\x01", 300<<10)) // over 1 MiB as JSON
	path := writeTemp(t, in.String())
	report := filepath.Join(t.TempDir(), "rejects.csv")
	out, errOut, code := runCmd(t, []string{"DNCSYNC_ADMIN_TOKEN=" + adminToken}, "", "import", "--server", p.url,
		"--max-row", "1048576", "--report", report, path)
	if code != 0 || !strings.Contains(out, "1501 rows") || !strings.Contains(out, "1500 accepted, 0 duplicate, 1 rejected") {
		t.Fatalf("import --server: exit %d\n%s\n%s", code, out, errOut)
	}
	if strings.Contains(errOut, "smaller --batch") {
		t.Fatalf("false advice:\n%s", errOut)
	}
	if _, rows := readReport(t, report); len(rows["1502"]) != 6 || rows["1502"][3] != "row_too_long" {
		t.Fatalf("the row too long for a request: %.120q", rows["1502"])
	}
	waitForList(t, sim, want, time.Minute)
}

// utf16File is s in UTF-16 with a byte-order mark.
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

// TestImportUTF16: files saved as "Unicode text" (UTF-16 with a byte-order mark, either byte
// order) and UTF-8 with one import as plain UTF-8 does.
func TestImportUTF16(t *testing.T) {
	text := "Téléphone\tcountry\r\n020 7946 0958\tGB\r\n(415) 555-2671\tUS\r\n"
	for name, b := range map[string][]byte{
		"utf16le.txt": utf16File(text, false),
		"utf16be.txt": utf16File(text, true),
		"utf8bom.csv": append([]byte("\xef\xbb\xbf"), text...),
	} {
		t.Run(name, func(t *testing.T) {
			out, errOut, code := runCmd(t, []string{"DNCSYNC_DATA_DIR=" + t.TempDir()}, "", "import", "--column", "téléphone", writeFile(t, name, b))
			if code != 0 || !strings.Contains(out, "2 rows") || !strings.Contains(out, "2 accepted") {
				t.Fatalf("import: exit %d\n%s\n%s", code, out, errOut)
			}
		})
	}
}

// TestImportExitStatus: nothing imported exits 3, more rejected than the settable share exits 4,
// and an empty phone cell is reported as such.
func TestImportExitStatus(t *testing.T) {
	env := []string{"DNCSYNC_DATA_DIR=" + t.TempDir()}
	bad := writeTemp(t, "phone\n12\n34\n")
	if out, errOut, code := runCmd(t, env, "", "import", bad); code != exitNothingImported || !strings.Contains(errOut, "no row was imported") {
		t.Fatalf("all rows rejected: exit %d, want %d\n%s\n%s", code, exitNothingImported, out, errOut)
	}
	// 2 of 8 rows not imported: 25%.
	var in strings.Builder
	in.WriteString("phone,reason\n,no number here\n12,junk\n")
	for i := range 6 {
		fmt.Fprintf(&in, "(415) 555-%04d,asked\n", 3000+i)
	}
	some := writeTemp(t, in.String())
	out, errOut, code := runCmd(t, env, "", "import", some)
	if code != exitTooManyRejected || !strings.Contains(errOut, "25.0%") || !strings.Contains(out, "6 accepted") {
		t.Fatalf("25%% rejected: exit %d, want %d\n%s\n%s", code, exitTooManyRejected, out, errOut)
	}
	_, rows := readReport(t, strings.TrimSuffix(some, ".csv")+".rejects.csv")
	if r := rows["2"]; len(r) != 6 || r[2] != "invalid" || r[3] != "empty phone column" {
		t.Fatalf("empty phone cell reported as %q", r)
	}
	if _, errOut, code := runCmd(t, append(env, "DNCSYNC_IMPORT_MAX_REJECTED=30%"), "", "import", some); code != 0 {
		t.Fatalf("DNCSYNC_IMPORT_MAX_REJECTED=30%%: exit %d\n%s", code, errOut)
	}
	if _, errOut, code := runCmd(t, env, "", "import", "--max-rejected", "0.3", some); code != 0 {
		t.Fatalf("--max-rejected 0.3: exit %d\n%s", code, errOut)
	}
	if _, errOut, code := runCmd(t, append(env, "DNCSYNC_IMPORT_MAX_REJECTED=2"), "", "import", some); code != 1 ||
		!strings.Contains(errOut, "DNCSYNC_IMPORT_MAX_REJECTED") {
		t.Fatalf("DNCSYNC_IMPORT_MAX_REJECTED=2: exit %d\n%s", code, errOut)
	}
}
