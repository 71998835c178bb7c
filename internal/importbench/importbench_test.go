//go:build importbench

package importbench

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dncsync/dncsync/internal/benchmark"
	"github.com/dncsync/dncsync/internal/redistest"
)

// run is one measured import.
type run struct {
	Rows       int
	Wall       time.Duration
	CPU        time.Duration // the import process, user and system
	PeakRSS    int64         // bytes, of the import process
	Summary    string        // the import's summary line
	RedisMain  float64       // seconds of Redis's main thread, user and system
	RedisChild float64       // seconds of Redis's children (AOF rewrites)
	Rewrites   string
	RedisMem   string
	Rerun      time.Duration
	RerunRSS   int64
}

// TestImportBench imports files of $BENCH_ROWS rows (default 200000,1000000) into a fresh
// redis-server each (appendonly yes, appendfsync everysec), reruns each, imports a gzip bomb of
// $BENCH_BOMB_MB MiB of zeros (default 1200; 0: none) into the embedded store, and writes its
// section of $BENCH_OUT (default BENCHMARKS.md at the repository's root) between its markers.
func TestImportBench(t *testing.T) {
	sizes := []int{200000, 1000000}
	if v := os.Getenv("BENCH_ROWS"); v != "" {
		sizes = sizes[:0]
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				t.Fatalf("BENCH_ROWS=%q", v)
			}
			sizes = append(sizes, n)
		}
	}
	bombMB := 1200
	if v := os.Getenv("BENCH_BOMB_MB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			t.Fatalf("BENCH_BOMB_MB=%q", v)
		}
		bombMB = n
	}
	out := os.Getenv("BENCH_OUT")
	if out == "" {
		out = "../../BENCHMARKS.md"
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "dncsync")
	if b, err := exec.Command("go", "build", "-o", bin, "../../cmd/dncsync").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, b)
	}
	load0, start := benchmark.LoadAvg(), time.Now()
	var runs []run
	for _, n := range sizes {
		r := measure(t, bin, writeCSV(t, dir, n), n)
		t.Logf("%+v", r)
		runs = append(runs, r)
	}
	var bomb *run
	if bombMB > 0 {
		bomb = measureBomb(t, bin, dir, bombMB)
		t.Logf("bomb: %+v", *bomb)
	}
	var doc bytes.Buffer
	report(&doc, runs, bomb, bombMB, start, load0)
	fmt.Print(doc.String())
	if err := benchmark.WriteSection(out, "bench-import", doc.String()); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", out)
}

// writeCSV writes the file BENCHMARKS.md has always measured: a header and four formats of US
// numbers in turn, each with its own occurredAt, and every 97th row a number that is not valid.
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

// importOnce runs `dncsync import` and measures it.
func importOnce(t *testing.T, bin string, env []string, args ...string) (summary string, wall, cpu time.Duration, rss int64, code int) {
	cmd := exec.Command(bin, append([]string{"import", "--progress-every", "1h"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	wall = time.Since(start)
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("import: %v", err)
	}
	st := cmd.ProcessState
	if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss << 10
	}
	summary = strings.TrimSpace(strings.SplitN(stdout.String(), "\n", 2)[0])
	if _, after, ok := strings.Cut(summary, ": "); ok {
		summary = after // without the file's temporary path
	}
	t.Logf("import %v: exit %d, %s\n%s", args, code, summary, stderr.String())
	return summary, wall, st.UserTime() + st.SystemTime(), rss, code
}

func measure(t *testing.T, bin, file string, rows int) run {
	srv := redistest.Start(t) // appendonly yes, appendfsync everysec
	defer srv.Kill()
	env := []string{"REDIS_URL=" + srv.URL(), "DNCSYNC_LOG_LEVEL=warn"}
	report := filepath.Join(filepath.Dir(file), "rejects.csv")
	r := run{Rows: rows}
	var code int
	r.Summary, r.Wall, r.CPU, r.PeakRSS, code = importOnce(t, bin, env, "--report", report, file)
	if code != 0 {
		t.Fatalf("import exit %d: %s", code, r.Summary)
	}
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	info := func(section string) map[string]string {
		s, err := rdb.Info(context.Background(), section).Result()
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, line := range strings.Split(s, "\r\n") {
			if k, v, ok := strings.Cut(line, ":"); ok {
				m[k] = v
			}
		}
		return m
	}
	f := func(m map[string]string, k string) float64 { v, _ := strconv.ParseFloat(m[k], 64); return v }
	cpu := info("cpu")
	r.RedisMain = f(cpu, "used_cpu_user_main_thread") + f(cpu, "used_cpu_sys_main_thread")
	r.RedisChild = f(cpu, "used_cpu_user_children") + f(cpu, "used_cpu_sys_children")
	r.Rewrites = info("persistence")["aof_rewrites"]
	r.RedisMem = info("memory")["used_memory_human"]
	_, r.Rerun, _, r.RerunRSS, _ = importOnce(t, bin, env, "--report", report, file)
	return r
}

// measureBomb imports a gzip file of mb MiB of zeros (one line, no newline) into the embedded
// store: `head -c 1200M /dev/zero | gzip`.
func measureBomb(t *testing.T, bin, dir string, mb int) *run {
	path := filepath.Join(dir, "bomb.gz")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	zero := make([]byte, 1<<20)
	for range mb {
		zw.Write(zero)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	r := &run{Rows: 1}
	var code int
	r.Summary, r.Wall, r.CPU, r.PeakRSS, code = importOnce(t, bin, []string{"DNCSYNC_DATA_DIR=" + filepath.Join(dir, "data")}, path)
	if code != 3 {
		t.Fatalf("bomb: exit %d, want 3 (nothing imported): %s", code, r.Summary)
	}
	return r
}

func mb(n int64) string { return fmt.Sprintf("%d MB", n/1e6) }

func sec(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

func report(w *bytes.Buffer, runs []run, bomb *run, bombMB int, start time.Time, load0 string) {
	fmt.Fprintf(w, `## Import into Redis, measured (`+"`make bench-import`"+`)

Written by `+"`make bench-import`"+` (internal/importbench): the non-race `+"`dncsync import`"+` binary with
its default settings (4 batches of 500 rows in flight), a fresh `+"`redis-server`"+` per file with
`+"`appendonly yes`, `appendfsync everysec`"+` (and Redis's default automatic AOF rewrites), on the
same machine. The file is the one of the section above (four formats of US numbers, every 97th row
not a valid number); the rerun imports the same file again (every row a duplicate). The target:
a million rows in under 60 s, memory flat.

Run %s on %d cores, %s, %s; load average %s before, %s after
(the machine is shared: wall times taken while others ran are long; CPU times are steadier).

| rows | import | rows/s | import process: CPU, peak RSS | Redis main thread CPU | Redis children CPU (AOF rewrites) | Redis memory | rerun (peak RSS) |
| --- | --- | --- | --- | --- | --- | --- | --- |
`, start.UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), benchmark.GoVersion(), redisVersion(), load0, benchmark.LoadAvg())
	for _, r := range runs {
		fmt.Fprintf(w, "| %d | %s | %.0f | %s, %s | %.1f s | %.1f s (%s) | %s | %s (%s) |\n", r.Rows, sec(r.Wall),
			float64(r.Rows)/r.Wall.Seconds(), sec(r.CPU), mb(r.PeakRSS), r.RedisMain, r.RedisChild, r.Rewrites,
			r.RedisMem, sec(r.Rerun), mb(r.RerunRSS))
	}
	if bomb != nil {
		fmt.Fprintf(w, "\nA gzip bomb (`head -c %dM /dev/zero | gzip`: one line of %d MiB) into the embedded store: %s, "+
			"peak RSS %s, rejected as `row_too_long` (exit 3, nothing imported).\n", bombMB, bombMB, sec(bomb.Wall), mb(bomb.PeakRSS))
	}
	fmt.Fprintln(w)
	for _, r := range runs {
		fmt.Fprintf(w, "- %d rows: `%s`\n", r.Rows, r.Summary)
	}
	fmt.Fprintln(w)
}

func redisVersion() string {
	out, err := exec.Command("redis-server", "--version").Output()
	if err != nil {
		return "redis-server unknown"
	}
	for _, f := range strings.Fields(string(out)) {
		if v, ok := strings.CutPrefix(f, "v="); ok {
			return "Redis " + v
		}
	}
	return strings.TrimSpace(string(out))
}
