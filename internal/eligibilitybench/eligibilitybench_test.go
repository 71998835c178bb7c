//go:build eligibilitybench

package eligibilitybench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/adminapi"
	"github.com/dncsync/dncsync/internal/benchmark"
	"github.com/dncsync/dncsync/internal/gate"
	"github.com/dncsync/dncsync/internal/ops"
	"github.com/dncsync/dncsync/internal/pgtest"
	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/boltq"
	"github.com/dncsync/dncsync/internal/queue/pgq"
	"github.com/dncsync/dncsync/internal/queue/redisq"
	"github.com/dncsync/dncsync/internal/redistest"
)

const token = "eligibility-bench-token-0123"

// store is what the benchmark seeds and asks.
type store interface {
	ops.Store
	Close() error
}

// number is the i-th number of the ledger: valid US numbers, all distinct below 80 million, in
// the stores' key order (i before j: number(i) sorts before number(j)), so that seeding appends
// to the embedded store's trees instead of rewriting a page of each for every number.
func number(i int) string {
	areas := [...]string{"212", "310", "415", "512", "617", "646", "702", "713", "805", "917"}
	return fmt.Sprintf("+1%s%03d%04d", areas[i/8000000%10], 200+(i/10000)%800, i%10000)
}

// seed writes n numbers, one opt-out each, of every scope in turn, in batches of batch through the
// store's own Enqueue (so that each is stored as the service stores it). It stops early at the
// first batch that ends after max, and returns how many it wrote.
func seed(t *testing.T, s store, n, batch int, max time.Duration) (int, time.Duration) {
	t.Helper()
	ctx := context.Background()
	chans := []string{"", "voice", "sms", "email", "all"}
	at := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	start := time.Now()
	evs := make([]queue.Event, 0, batch)
	for i := 0; i < n; i += batch {
		if time.Since(start) > max {
			t.Logf("seeding stopped at %d numbers after %s (BENCH_SEED_MAX)", i, time.Since(start).Round(time.Second))
			return i, time.Since(start)
		}
		evs = evs[:0]
		for j := i; j < min(n, i+batch); j++ {
			num := number(j)
			evs = append(evs, queue.Event{Number: num, Raw: num, Action: queue.Add, Source: "bench",
				ConsentChannel: chans[j%len(chans)], Policy: "scoped", OccurredAt: at, ReceivedAt: at})
		}
		if _, err := s.Enqueue(ctx, evs); err != nil {
			t.Fatal(err)
		}
		if (i+batch)%1000000 == 0 {
			t.Logf("seeded %d numbers in %s", i+batch, time.Since(start).Round(time.Second))
		}
	}
	return n, time.Since(start)
}

type result struct {
	store          string
	numbers, asked int // seeded; asked for (BENCH_NUMBERS)
	seed           time.Duration
	one, batch     []time.Duration
	batchEligibles int
	scrub          scrubRun
}

func pct(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// measure asks one number at a time (half of them in the ledger) and batches of 10,000.
func measure(t *testing.T, name string, s store, n, seeded int, seededIn, seedMax time.Duration, singles, batches int) result {
	t.Helper()
	res := result{store: name, asked: n}
	batch := 5000
	if name == "redis" {
		batch = 1000 // one script call: 5,000 outlasted the client's 3-s read timeout on a loaded machine
	}
	if seeded > 0 {
		n, res.seed = seeded, seededIn // a kept store (BENCH_DATA_DIR), seeded by an earlier run
	} else {
		n, res.seed = seed(t, s, n, batch, seedMax)
	}
	res.numbers = n
	o := &ops.Ops{Store: s, Lanes: []ops.Lane{{Name: "cxone"}}, DefaultRegion: "US"}
	mux := http.NewServeMux()
	adminapi.New(o, gate.New(gate.Config{Realm: "admin", Token: token})).Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	r := rand.New(rand.NewPCG(3, 4))
	ask := func(i int) string { return number(r.IntN(2 * n)) } // half never seen
	client := &http.Client{Timeout: time.Minute}
	do := func(req *http.Request) []byte {
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
		return b
	}
	for i := range singles {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/eligibility?"+url.Values{"number": {ask(i)}, "channel": {"sms"}}.Encode(), nil)
		start := time.Now()
		do(req)
		res.one = append(res.one, time.Since(start))
	}
	for range batches {
		nums := make([]string, ops.MaxEligibility)
		for i := range nums {
			nums[i] = ask(i)
		}
		body, _ := json.Marshal(adminapi.EligibilityRequest{EligibilityQuery: ops.EligibilityQuery{Channel: "voice"}, Numbers: nums})
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/eligibility", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		start := time.Now()
		b := do(req)
		res.batch = append(res.batch, time.Since(start))
		var a adminapi.EligibilityAnswer
		if err := json.Unmarshal(b, &a); err != nil || len(a.Results) != len(nums) {
			t.Fatalf("batch answer: %v, %d results", err, len(a.Results))
		}
		for _, e := range a.Results {
			if e.Eligible {
				res.batchEligibles++
			}
		}
	}
	return res
}

// TestEligibilityBench seeds $BENCH_NUMBERS numbers (default 1000000; seeding stops early after
// $BENCH_SEED_MAX, default 20m) into each store of $BENCH_STORES (default embedded,redis,postgres),
// asks $BENCH_SINGLES single numbers (default 2000) and $BENCH_BATCHES batches of 10,000 (default
// 10), scrubs a call list of $BENCH_SCRUB_ROWS rows (default 1000000) against the store with the
// binary, and writes its section of $BENCH_OUT (default BENCHMARKS.md at the repository's root)
// between its markers, again after each store, so that a long run that is stopped keeps the stores
// it finished. PostgreSQL is the server of internal/pgtest (DNCSYNC_TEST_PG), a schema of its own.
func TestEligibilityBench(t *testing.T) {
	n := envInt(t, "BENCH_NUMBERS", 1000000)
	singles, batches := envInt(t, "BENCH_SINGLES", 2000), envInt(t, "BENCH_BATCHES", 10)
	stores := strings.Split(envStr("BENCH_STORES", "embedded,redis,postgres"), ",")
	scrubRows := envInt(t, "BENCH_SCRUB_ROWS", 1000000)
	seedMax, err := time.ParseDuration(envStr("BENCH_SEED_MAX", "20m"))
	if err != nil {
		t.Fatalf("BENCH_SEED_MAX: %v", err)
	}
	bin := buildBinary(t)
	var results []result
	load0 := benchmark.LoadAvg()
	for _, name := range stores {
		var s store
		var env []string // what points the binary at the store
		var dbFile string
		var seeded int // numbers already in a kept store, seeded in seededIn
		var seededIn time.Duration
		switch name {
		case "embedded":
			dataDir := os.Getenv("BENCH_DATA_DIR")
			if dataDir == "" {
				dataDir = t.TempDir()
			}
			dbFile = filepath.Join(dataDir, "dncsync.db")
			seeded, seededIn = keptSeed(t, dataDir)
			b, err := boltq.Open(dbFile, boltq.Options{})
			if err != nil {
				t.Fatal(err)
			}
			s, env = b, []string{"DNCSYNC_DATA_DIR=" + dataDir}
		case "redis":
			srv := redistest.Start(t)
			r, err := redisq.Open(srv.URL(), redisq.Options{})
			if err != nil {
				t.Fatal(err)
			}
			s, env = r, []string{"REDIS_URL=" + srv.URL()}
		case "postgres":
			url := pgtest.Schema(t)
			ctx := context.Background()
			if _, err := pgq.Migrate(ctx, url, false); err != nil {
				t.Fatal(err)
			}
			p, err := pgq.Open(ctx, url, pgq.Options{})
			if err != nil {
				t.Fatal(err)
			}
			s, env = p, []string{"DATABASE_URL=" + url}
		default:
			t.Fatalf("BENCH_STORES: %q is not embedded, redis or postgres", name)
		}
		res := measure(t, name, s, n, seeded, seededIn, seedMax, singles, batches)
		s.Close()
		if name == "embedded" && seeded == 0 && os.Getenv("BENCH_DATA_DIR") != "" {
			keepSeed(t, filepath.Dir(dbFile), res)
		}
		t.Logf("%s, %d numbers: seeded in %s; one number p50 %s p99 %s; a batch of 10,000 p50 %s p99 %s", name, res.numbers,
			res.seed.Round(time.Second), pct(res.one, .5), pct(res.one, .99), pct(res.batch, .5), pct(res.batch, .99))
		res.scrub = scrubBench(t, bin, env, dbFile, res.numbers, scrubRows)
		t.Logf("scrub of %d rows against %d numbers: %s, peak RSS %d MiB: %s", scrubRows, res.numbers,
			res.scrub.wall.Round(time.Millisecond), res.scrub.rss>>20, res.scrub.summary)
		results = append(results, res)
		writeReport(t, results, load0, singles, batches, scrubRows)
	}
}

// writeReport writes the section of BENCHMARKS.md with the stores measured so far.
func writeReport(t *testing.T, results []result, load0 string, singles, batches, scrubRows int) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "## Eligibility (`make bench-eligibility`)\n\n")
	fmt.Fprintf(&b, "Measured %s, %s, GOMAXPROCS %d, load average before: %s. The real handlers of `GET` and `POST\n",
		time.Now().UTC().Format("2006-01-02"), runtime.Version(), runtime.GOMAXPROCS(0), load0)
	fmt.Fprintf(&b, "/v1/eligibility` over loopback HTTP, on a store seeded with one opt-out a number (scopes in turn);\n")
	fmt.Fprintf(&b, "half the numbers asked are in the ledger. One number: %d requests, one at a time, channel sms;\n", singles)
	fmt.Fprintf(&b, "a batch: %d requests of 10,000 numbers, channel voice. Then `dncsync scrub --channel sms` (the\n", batches)
	fmt.Fprintf(&b, "binary, on the same store) of a %d-row call list, half of its numbers in the ledger; RSS is the\n", scrubRows)
	fmt.Fprintf(&b, "scrub process's peak.\n\n")
	fmt.Fprintf(&b, "| store | numbers | seeded in | one number p50 | p99 | batch of 10,000 p50 | p99 | scrub | scrub peak RSS |\n")
	fmt.Fprintf(&b, "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, r := range results {
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s | %s | %d MiB |\n", r.store, r.numbers, r.seed.Round(time.Second),
			pct(r.one, .5).Round(time.Microsecond), pct(r.one, .99).Round(time.Microsecond),
			pct(r.batch, .5).Round(time.Millisecond), pct(r.batch, .99).Round(time.Millisecond),
			r.scrub.wall.Round(100*time.Millisecond), r.scrub.rss>>20)
	}
	b.WriteString("\n")
	for _, r := range results {
		if r.scrub.dbSize > 0 {
			fmt.Fprintf(&b, "The embedded store's file is %d MiB, which bbolt maps into memory: the pages scrub reads count in\n", r.scrub.dbSize>>20)
			fmt.Fprintf(&b, "its RSS; the rows themselves are read, checked and written a batch at a time.\n")
		}
	}
	for _, r := range results {
		if r.numbers < r.asked {
			fmt.Fprintf(&b, "\n- %s: seeding stopped at %d of the %d numbers asked, after %s (BENCH_SEED_MAX).", r.store,
				r.numbers, r.asked, r.seed.Round(time.Second))
		}
	}
	for _, r := range results {
		fmt.Fprintf(&b, "\n- %s scrub: `%s`", r.store, r.scrub.summary)
	}
	b.WriteString("\n\n")
	out := envStr("BENCH_OUT", "../../BENCHMARKS.md")
	if err := benchmark.WriteSection(out, "bench-eligibility", b.String()); err != nil {
		t.Fatal(err)
	}
}

// keptSeed is how many numbers an earlier run seeded into the store kept in dir (BENCH_DATA_DIR),
// so that the store is measured again without seeding it again; 0 when none was kept.
func keptSeed(t *testing.T, dir string) (int, time.Duration) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "seeded"))
	if errors.Is(err, os.ErrNotExist) {
		return 0, 0
	}
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b))
	var n int
	var took time.Duration
	err = errors.New("want 2 fields")
	if len(f) == 2 {
		var errD error
		n, err = strconv.Atoi(f[0])
		took, errD = time.ParseDuration(f[1])
		err = errors.Join(err, errD)
	}
	if err != nil || n < 1 {
		t.Fatalf("%s/seeded: %q is not a count of numbers and a duration", dir, b)
	}
	t.Logf("embedded: the store kept in %s holds %d numbers: measured without seeding", dir, n)
	return n, took
}

// keepSeed records in dir how many numbers res seeded, and in how long.
func keepSeed(t *testing.T, dir string, res result) {
	t.Helper()
	v := fmt.Sprintf("%d %s\n", res.numbers, res.seed.Round(time.Second))
	if err := os.WriteFile(filepath.Join(dir, "seeded"), []byte(v), 0o644); err != nil {
		t.Fatal(err)
	}
}

func envStr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func envInt(t *testing.T, k string, def int) int {
	v := os.Getenv(k)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive whole number", k, v)
	}
	return n
}

type scrubRun struct {
	wall    time.Duration
	rss     int64
	dbSize  int64 // the embedded store's file, which bbolt maps into memory: its pages read count in RSS
	summary string
}

// buildBinary builds dncsync once for the scrubs.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "dncsync")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/dncsync/dncsync/cmd/dncsync").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// scrubBench scrubs a call list of rows numbers (half in the ledger of n) with the binary, against
// the store env names; dbFile is the embedded store's file ("" for the others).
func scrubBench(t *testing.T, bin string, env []string, dbFile string, n, rows int) scrubRun {
	t.Helper()
	dir := t.TempDir()
	list := filepath.Join(dir, "calls.csv")
	f, err := os.Create(list)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "id,phone,name")
	r := rand.New(rand.NewPCG(5, 6))
	for i := range rows {
		fmt.Fprintf(w, "%d,%s,customer %d\n", i, number(r.IntN(2*n)), i)
	}
	if err := errors.Join(w.Flush(), f.Close()); err != nil {
		t.Fatal(err)
	}
	// The scrub's peak RSS through GNU time, which forks the scrub: Go starts a command with
	// vfork, sharing this process's memory until exec, and Linux carries that memory's peak into the
	// child's ru_maxrss, so the child's own rusage reported this benchmark's RSS, not the scrub's.
	args := []string{"scrub", "--channel", "sms", "--progress-every", "1h", list}
	timed := false
	if _, err := os.Stat("/usr/bin/time"); err == nil {
		args, bin, timed = append([]string{"-f", "maxrss-kib %M", bin}, args...), "/usr/bin/time", true
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	wall := time.Since(start)
	if err != nil {
		t.Fatalf("scrub: %v\n%s", err, out)
	}
	first := strings.SplitN(strings.TrimSpace(string(out)), "\n", 2)[0]
	run := scrubRun{wall: wall, summary: strings.ReplaceAll(first, dir+string(filepath.Separator), "")}
	if timed {
		_, after, found := strings.Cut(string(out[strings.LastIndex(string(out), "\n"+"maxrss-kib ")+1:]), "maxrss-kib ")
		kib, err := strconv.ParseInt(strings.TrimSpace(after), 10, 64)
		if !found || err != nil {
			t.Fatalf("scrub: no peak RSS from /usr/bin/time in %q", out)
		}
		run.rss = kib << 10
	} else if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		run.rss = ru.Maxrss << 10 // an upper bound: see above
	}
	if st, err := os.Stat(dbFile); dbFile != "" && err == nil {
		run.dbSize = st.Size()
	}
	return run
}
