//go:build storebench

package storebench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/pgtest"
	"github.com/dncsync/dncsync/internal/queue/pgq"
)

// importRun is `dncsync import` of a file into a fresh PostgreSQL schema, and its rerun.
type importRun struct {
	Rows           int
	Wall, Rerun    time.Duration
	Summary, Again string
}

// measureImport imports a CSV file of rows rows (the file of `make bench-import`: four formats of
// US numbers, every 97th row not a number) into PostgreSQL with the real binary, then again.
func measureImport(t *testing.T, rows int) importRun {
	dir := t.TempDir()
	bin := filepath.Join(dir, "dncsync")
	if b, err := exec.Command("go", "build", "-o", bin, "../../cmd/dncsync").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, b)
	}
	url := pgtest.Schema(t)
	if _, err := pgq.Migrate(context.Background(), url, false); err != nil {
		t.Fatal(err)
	}
	file := writeCSV(t, dir, rows)
	env := []string{"DATABASE_URL=" + url, "DNCSYNC_LOG_LEVEL=warn", "DNCSYNC_DESTINATIONS=cxone,genesys"}
	r := importRun{Rows: rows}
	r.Summary, r.Wall = importOnce(t, bin, env, file)
	r.Again, r.Rerun = importOnce(t, bin, env, file)
	return r
}

func importOnce(t *testing.T, bin string, env []string, file string) (string, time.Duration) {
	cmd := exec.Command(bin, "import", "--progress-every", "1h", "--report", file+".rejects.csv", file)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		t.Fatalf("import: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	summary := strings.TrimSpace(strings.SplitN(stdout.String(), "\n", 2)[0])
	if _, after, ok := strings.Cut(summary, ": "); ok {
		summary = after
	}
	t.Logf("import: %s", summary)
	return summary, wall
}

// writeCSV writes the file of `make bench-import` (internal/importbench): a header and four
// formats of US numbers in turn, each with its own occurredAt, and every 97th row not valid.
func writeCSV(t *testing.T, dir string, rows int) string {
	path := filepath.Join(dir, fmt.Sprintf("rows%d.csv", rows))
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "phone,occurredAt,reason,country")
	area := []int{212, 310, 415, 512, 617, 646, 702, 713, 805, 917}
	for i := range rows {
		a, x, l := area[i%10], 200+(i/10)%800, (i/8000)%10000
		switch {
		case i%97 == 96:
			fmt.Fprintf(w, "%d,2024-01-02,bad row,\n", i%1000)
		case i%4 == 0:
			fmt.Fprintf(w, "(%d) %03d-%04d,2024-03-04T05:06:07Z,web form,\n", a, x, l)
		case i%4 == 1:
			fmt.Fprintf(w, "+1 %d-%03d-%04d,2023-12-01,sms STOP,US\n", a, x, l)
		case i%4 == 2:
			fmt.Fprintf(w, "%d%03d%04d,,agent,US\n", a, x, l)
		default:
			fmt.Fprintf(w, "1-%d-%03d-%04d,2025-06-30 10:00:00,,\n", a, x, l)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}
