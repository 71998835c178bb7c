//go:build intakebench

// The intake benchmark: the real dncsync binary and the tutorial's Node.js service (run as
// written) side by side in one run, on the same machine and the same Redis settings, driven by the
// repository's load generator; dncsync on each of its stores (Redis, PostgreSQL, embedded).
// `make bench-intake` runs it and writes the table into BENCHMARKS.md; it asserts nothing about
// speed, it reports.
//
// BENCH_DURATION (default 10s) is each configuration's length. BENCH_STORES (default
// "redis,postgres,embedded") picks dncsync's stores. BENCH_PROFILE=DIR writes a CPU profile of
// dncsync's serve process during each single-event c=64 run to DIR/<store>-c64.pprof (through
// DNCSYNC_PPROF_ADDR), for `go tool pprof`. PostgreSQL is the server internal/pgtest uses
// (DNCSYNC_TEST_PG, default 127.0.0.1:5432), each configuration in a fresh schema of its own.
package intakebench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dncsync/dncsync/internal/benchmark"
	"github.com/dncsync/dncsync/internal/loadgen"
	"github.com/dncsync/dncsync/internal/pgtest"
	"github.com/dncsync/dncsync/internal/poll"
	"github.com/dncsync/dncsync/internal/redistest"
)

const token = "bench-token-0123456789abcdef"

// run is one measured configuration.
type run struct {
	Service     string // dncsync or tutorial
	Store       string // redis, postgres or embedded
	Batch       int
	Concurrency int
	Result      loadgen.Result
	PeakRSS     int64 // bytes, VmHWM of the service process
	// CPU is the CPU time of the service process and, on PostgreSQL, of the database backends
	// serving its connections, over the measured load (cpu.go).
	CPU  cpuUse
	Note string
}

func TestIntakeBench(t *testing.T) {
	dur := envDuration("BENCH_DURATION", 10*time.Second)
	bin := buildDncsync(t)
	tutorial := installTutorial(t)
	var runs []run
	stores := strings.Split(os.Getenv("BENCH_STORES"), ",")
	if os.Getenv("BENCH_STORES") == "" {
		stores = []string{"redis", "postgres", "embedded"}
	}
	profDir := os.Getenv("BENCH_PROFILE")
	pg := ""
	if slices.Contains(stores, "postgres") {
		pg = pgServer(t)
	}
	for _, store := range stores {
		for _, batch := range []int{1, 100} {
			for _, c := range []int{1, 16, 64} {
				prof := ""
				if profDir != "" && batch == 1 && c == 64 {
					prof = filepath.Join(profDir, store+"-c64.pprof")
				}
				r := measureDncsync(t, bin, store, batch, c, dur, prof)
				t.Logf("%+v", r)
				runs = append(runs, r)
			}
		}
	}
	if tutorial != "" {
		for _, c := range []int{1, 16, 64} {
			r := measureTutorial(t, tutorial, c, dur)
			t.Logf("%+v", r)
			runs = append(runs, r)
		}
	}
	out := os.Getenv("BENCH_OUT")
	if out == "" {
		out = filepath.Join(repoRoot(t), "BENCHMARKS.md")
	}
	if err := benchmark.WriteSection(out, "bench-intake", "## Intake: dncsync and the tutorial's service, side by side\n\n"+report(runs, dur, tutorial != "", pg)); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", out)
}

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil && d > 0 {
		return d
	}
	return def
}

func repoRoot(t *testing.T) string {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

func buildDncsync(t *testing.T) string {
	bin := filepath.Join(t.TempDir(), "dncsync")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/dncsync")
	cmd.Dir = repoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build dncsync: %v\n%s", err, out)
	}
	return bin
}

// installTutorial copies the tutorial's service (TUTORIAL_DIR, default ../shared/seed/node beside
// the repository) and installs its pinned dependencies with npm ci. Without node or the tutorial
// it returns "" and the table has dncsync alone.
func installTutorial(t *testing.T) string {
	src := os.Getenv("TUTORIAL_DIR")
	if src == "" {
		src = filepath.Join(repoRoot(t), "..", "shared", "seed", "node")
	}
	if _, err := os.Stat(filepath.Join(src, "package-lock.json")); err != nil {
		t.Logf("tutorial service not found at %s (set TUTORIAL_DIR): measuring dncsync alone", src)
		return ""
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Logf("node not found (apt-get install -y nodejs npm): measuring dncsync alone")
		return ""
	}
	dir := filepath.Join(os.TempDir(), "dncsync-intakebench-tutorial")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"package.json", "package-lock.json", "server.js"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err != nil {
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
		}
	}
	return dir
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// closedURL is a CXone that never answers: both services are measured at intake alone, as the
// tutorial's own README suggests, so that neither spends the machine on its drain.
const closedURL = "http://127.0.0.1:9"

// measureDncsync measures dncsync's serve on store; with prof set, it also writes a CPU profile of
// the serve process over the measured load to that file.
func measureDncsync(t *testing.T, bin, store string, batch, c int, dur time.Duration, prof string) run {
	port := freePort(t)
	appName := ""
	env := []string{"PATH=" + os.Getenv("PATH"), fmt.Sprintf("PORT=%d", port), "DNCSYNC_LOG_LEVEL=error",
		"CXONE_API=v2", "CXONE_BASE_URL=" + closedURL, "CXONE_CLIENT_ID=x", "CXONE_CLIENT_SECRET=x",
		"CXONE_DNC_LIST_ID=L1", "DNCSYNC_WEBHOOK_AUTH=token", "DNCSYNC_WEBHOOK_TOKEN=" + token}
	switch store {
	case "redis":
		env = append(env, "REDIS_URL="+redistest.Start(t).URL())
	case "postgres":
		// The application name finds this run's backends in pg_stat_activity, for their CPU time.
		appName = fmt.Sprintf("dncsync-intakebench-%d", port)
		db := "DATABASE_URL=" + withAppName(t, pgtest.Schema(t), appName)
		env = append(env, db)
		mig := exec.Command(bin, "migrate")
		mig.Env = []string{"PATH=" + os.Getenv("PATH"), db}
		if out, err := mig.CombinedOutput(); err != nil {
			t.Fatalf("dncsync migrate: %v\n%s", err, out)
		}
	case "embedded":
		env = append(env, "DNCSYNC_DATA_DIR="+t.TempDir())
	default:
		t.Fatalf("BENCH_STORES: unknown store %q (redis, postgres, embedded)", store)
	}
	var pprofAddr string
	if prof != "" {
		pprofAddr = fmt.Sprintf("127.0.0.1:%d", freePort(t))
		env = append(env, "DNCSYNC_PPROF_ADDR="+pprofAddr)
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	r := run{Service: "dncsync", Store: store, Batch: batch, Concurrency: c}
	cfg := loadgen.Config{URL: url, Token: token, Concurrency: c, Batch: batch, Duration: dur, Mixed: true}
	during := func() func() {
		stop := func() {}
		if prof != "" {
			stop = profile(t, pprofAddr, dur, prof)
		}
		cpu := startCPU(t, cmd.Process.Pid, appName)
		return func() {
			r.CPU = cpu()
			stop()
		}
	}
	r.Result, r.PeakRSS = measure(t, cmd, url+"/healthz", cfg, during)
	if r.Result.Statuses[200] != r.Result.Requests {
		r.Note = fmt.Sprintf("statuses %v; stderr %.200s", r.Result.Statuses, stderr.String())
	}
	return r
}

func measureTutorial(t *testing.T, dir string, c int, dur time.Duration) run {
	port := freePort(t)
	cmd := exec.Command("node", "server.js")
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), fmt.Sprintf("PORT=%d", port), "CXONE_BASE_URL=" + closedURL,
		"CXONE_CLIENT_ID=x", "CXONE_CLIENT_SECRET=x", "CXONE_DNC_LIST_ID=L1", "REDIS_URL=" + redistest.Start(t).URL()}
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	r := run{Service: "tutorial", Store: "redis", Batch: 1, Concurrency: c}
	// The tutorial has no health endpoint; a GET of its webhook path answers 404 once it listens.
	r.Result, r.PeakRSS = measure(t, cmd, url+"/webhook/opt-out", loadgen.Config{URL: url, Concurrency: c,
		Batch: 1, Duration: dur, Mixed: true}, func() func() {
		cpu := startCPU(t, cmd.Process.Pid, "")
		return func() { r.CPU = cpu() }
	})
	if r.Result.Statuses[200] != r.Result.Requests {
		r.Note = fmt.Sprintf("statuses %v", r.Result.Statuses)
	}
	return r
}

// profile starts fetching a CPU profile of dur from the pprof listener at addr into file; the
// function it returns waits for the profile to be written.
func profile(t *testing.T, addr string, dur time.Duration, file string) (wait func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		secs := int(dur / time.Second)
		if secs < 1 {
			secs = 1
		}
		resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, secs))
		if err != nil {
			t.Errorf("profile: %v", err)
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("status %s: %.200s", resp.Status, b)
		}
		if err == nil {
			err = os.WriteFile(file, b, 0o644)
		}
		if err != nil {
			t.Errorf("profile %s: %v", file, err)
			return
		}
		t.Logf("CPU profile: %s", file)
	}()
	return func() { <-done }
}

// measure starts cmd, waits until up answers, warms it up, loads it and reads its peak RSS; during,
// when set, starts with the measured load and what it returns is waited for before cmd stops.
func measure(t *testing.T, cmd *exec.Cmd, up string, cfg loadgen.Config, during func() func()) (loadgen.Result, int64) {
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	if !poll.Within(30*time.Second, func() bool {
		resp, err := http.Get(up)
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	}) {
		t.Fatalf("%s did not come up", cmd.Path)
	}
	warm := cfg
	warm.Duration, warm.Distinct = time.Second, 1000
	loadgen.Run(context.Background(), warm)
	var wait func()
	if during != nil {
		wait = during()
	}
	res := loadgen.Run(context.Background(), cfg)
	if wait != nil {
		wait()
	}
	return res, peakRSS(cmd.Process.Pid)
}

func peakRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func report(runs []run, dur time.Duration, withTutorial bool, pg string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Measured %s by `make bench-intake` (%s per configuration). %s\n\n", time.Now().UTC().Format("2006-01-02"), dur, machine())
	b.WriteString("Both services take the same single events (`{\"eventType\":\"contact.opt_out\",\"data\":{\"phoneNumber\":...}}`, ")
	b.WriteString("numbers in five formats, all distinct: no cache helps), with their CXone at a closed port so that only intake ")
	b.WriteString("is measured, each against its own fresh `redis-server` (append-only file, `appendfsync everysec`). dncsync ")
	b.WriteString("authenticates every request (bearer token), writes each event with its audit record and answers after the write; ")
	b.WriteString("the embedded store fsyncs before it answers. ")
	if pg != "" {
		b.WriteString("On PostgreSQL (" + pg + "), each configuration has a fresh schema made by `dncsync migrate`, and an event is ")
		b.WriteString("answered after the transaction that holds it (queue entry, per-destination state, audit record) commits. ")
	}
	b.WriteString("The load generator and the stores' servers run on the same two cores.\n\n")
	b.WriteString("CPU per 100k events is the CPU time (user and system) of the service process and, for PostgreSQL, of the ")
	b.WriteString("backends serving its connections (not the WAL writer's or the checkpointer's), over the measured load: ")
	b.WriteString("less sensitive than throughput to what else the shared machine runs.\n\n")
	b.WriteString("| service | store | events/request | concurrency | requests/s | events/s | p50 | p99 | peak RSS | CPU s per 100k events (service + database) | note |\n")
	b.WriteString("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n")
	tut := map[int]float64{}
	for _, r := range runs {
		if r.Service == "tutorial" {
			tut[r.Concurrency] = float64(r.Result.Requests) / r.Result.Elapsed.Seconds()
		}
	}
	for _, r := range runs {
		rps := float64(r.Result.Requests) / r.Result.Elapsed.Seconds()
		note := r.Note
		if r.Service == "dncsync" && r.Batch == 1 && tut[r.Concurrency] > 0 {
			note = strings.TrimSpace(fmt.Sprintf("%.1fx the tutorial %s", rps/tut[r.Concurrency], note))
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %.0f | %.0f | %s | %s | %.0f MiB | %s | %s |\n", r.Service, r.Store, r.Batch,
			r.Concurrency, rps, float64(r.Result.Events)/r.Result.Elapsed.Seconds(), ms(r.Result.P50), ms(r.Result.P99),
			float64(r.PeakRSS)/(1<<20), r.CPU.per100k(r.Result.Events), note)
	}
	if !withTutorial {
		b.WriteString("\nThe tutorial's service was not found (TUTORIAL_DIR) or node is missing: dncsync alone.\n")
	}
	return b.String()
}

// pgServer describes the PostgreSQL server the postgres configurations use: its version and the
// settings that decide what a commit costs.
func pgServer(t *testing.T) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pgtest.ServerURL())
	if err != nil {
		t.Fatalf("PostgreSQL at %s (BENCH_STORES without postgres skips it): %v", pgtest.ServerURL(), err)
	}
	defer conn.Close(ctx)
	var version, sync, fsync, buffers string
	if err := conn.QueryRow(ctx, `SELECT current_setting('server_version'), current_setting('synchronous_commit'),
		current_setting('fsync'), current_setting('shared_buffers')`).Scan(&version, &sync, &fsync, &buffers); err != nil {
		t.Fatalf("PostgreSQL settings: %v", err)
	}
	return fmt.Sprintf("PostgreSQL %s, `synchronous_commit=%s`, `fsync=%s`, `shared_buffers=%s`",
		strings.Fields(version)[0], sync, fsync, buffers)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0]); len(f) >= 2 {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			mem = fmt.Sprintf(", %.0f GiB", float64(kb)/(1<<20))
		}
	}
	version := func(name string, args ...string) string {
		out, err := exec.Command(name, args...).Output()
		if err != nil {
			return name + " missing"
		}
		return strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
	}
	return fmt.Sprintf("Machine: %d cores (%s)%s, %s, node %s, %s.", runtime.NumCPU(), cpu, mem, runtime.Version(),
		version("node", "--version"), version("redis-server", "--version"))
}
