// Package drainbench measures the drain as an operator would see it: the real dncsync binary, one
// or three replicas, against the CXone simulator under each shape of rate limit (a bucket of one,
// a fixed per-minute window, a true limit under the configured one), and with a replica killed
// with SIGKILL mid-drain. `make bench-drain` runs it and writes BENCHMARKS.md; it asserts nothing
// about speed, it reports.
package drainbench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/cxone/cxonesim"
	"github.com/dncsync/dncsync/internal/poll"
	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/boltq"
	"github.com/dncsync/dncsync/internal/queue/redisq"
	"github.com/dncsync/dncsync/internal/redistest"
)

// BatchSize is DNCSYNC_BATCH_SIZE in every scenario (CXone takes 50 a request).
const BatchSize = 50

// Scenario is one measured drain.
type Scenario struct {
	Name      string
	Limit     cxonesim.RateLimit // what the simulator enforces: the true cap
	ConfigRPM int                // CXONE_RATE_LIMIT_RPM
	Replicas  int                // more than one share a Redis store
	Redis     bool               // the Redis store (always with Replicas > 1)
	Numbers   int                // queued before the replicas start
	// Kill: once a third of the numbers is listed, one replica is killed with SIGKILL; alone, it
	// is started again at once (its data dir's leases are reclaimed at open).
	Kill bool
	// Target is the share of the true cap the drain must reach; 0: 95%.
	Target float64
}

// target is the share of the true cap the scenario's drain must reach.
func (sc Scenario) target() float64 {
	if sc.Target > 0 {
		return sc.Target
	}
	return 0.95
}

// Result is what a scenario measured.
type Result struct {
	Scenario
	Listed              int           // accepted numbers on the list at the end
	Requests, Throttled int           // add requests the simulator answered, and how many with 429
	Drain               time.Duration // first number listed to last
	// Converge is the time from the kill until every accepted number was on the list.
	Converge time.Duration
	// Recovered counts leases of the killed replica that the others recovered (from their logs).
	Recovered int
	FinalRPM  float64 // the pace a surviving replica reported at the end
	Err       string  // why the run stopped short, if it did
	// Settled is numbers a second from Warmup after the first listing to the last (0: too short).
	Settled float64
	// Gaps describes the time between API calls' arrivals, against the limit's interval.
	Gaps string
}

// Warmup is left out of Settled: the time a pace takes to find a limit under the configured one.
const Warmup = 10 * time.Second

// CapRate is the true cap in numbers a second: full batches at the simulator's limit.
func (r Result) CapRate() float64 { return float64(r.Limit.PerMinute) / 60 * BatchSize }

// Rate is the numbers listed a second over the drain.
func (r Result) Rate() float64 {
	if r.Drain <= 0 {
		return 0
	}
	return float64(r.Listed) / r.Drain.Seconds()
}

// Build compiles the binary (without the race detector: this measures speed) into dir.
func Build(t testing.TB, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "dncsync")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/dncsync/dncsync/cmd/dncsync")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build dncsync: %v\n%s", err, out)
	}
	return bin
}

// Run runs one scenario with the binary bin.
func Run(t testing.TB, bin string, sc Scenario) Result {
	t.Helper()
	res := Result{Scenario: sc}
	sim := cxonesim.New(cxonesim.Config{ClientID: "bench", ClientSecret: "bench-secret", ListID: "bench-list",
		RatePerMinute: sc.Limit.PerMinute, Seed: 1})
	sim.SetRateLimit(sc.Limit)
	var mu sync.Mutex
	var first, last time.Time
	listed := map[string]bool{}
	var at []time.Time // of each listing
	allListed := make(chan struct{})
	sim.OnChange(func(c cxonesim.Change) {
		mu.Lock()
		defer mu.Unlock()
		if c.Op != cxonesim.OpAdd || listed[c.Number] {
			return
		}
		listed[c.Number] = true
		at = append(at, c.At)
		if first.IsZero() {
			first = c.At
		}
		last = c.At
		if len(listed) == sc.Numbers {
			close(allListed)
		}
	})
	arrivals := &arrivals{}
	simURL, stopSim := listen(t, sim, arrivals)
	defer stopSim()

	numbers := Numbers(sc.Numbers)
	env := []string{"CXONE_API=v2", "CXONE_BASE_URL=" + simURL, "CXONE_CLIENT_ID=bench",
		"CXONE_CLIENT_SECRET=bench-secret", "CXONE_DNC_LIST_ID=bench-list",
		fmt.Sprintf("CXONE_RATE_LIMIT_RPM=%d", sc.ConfigRPM), fmt.Sprintf("DNCSYNC_BATCH_SIZE=%d", BatchSize),
		"DNCSYNC_WEBHOOK_AUTH=none", "DNCSYNC_LOG_LEVEL=warn", "DNCSYNC_LOG_FORMAT=json"}
	if sc.Redis || sc.Replicas > 1 {
		srv := redistest.Start(t)
		preloadRedis(t, srv.URL(), numbers)
		env = append(env, "REDIS_URL="+srv.URL())
	} else {
		dir := t.TempDir()
		preloadEmbedded(t, dir, numbers)
		env = append(env, "DNCSYNC_DATA_DIR="+dir)
	}

	replicas := make([]*replica, sc.Replicas)
	for i := range replicas {
		replicas[i] = startReplica(t, bin, env)
	}
	defer func() {
		for _, r := range replicas {
			r.stop()
		}
	}()

	expect := time.Duration(float64(sc.Numbers)/res.CapRate()*float64(time.Second)) + 30*time.Second
	deadline := time.After(3*expect + time.Minute)
	var killedAt time.Time
	if sc.Kill {
		tick := time.NewTicker(10 * time.Millisecond)
		for killedAt.IsZero() {
			select {
			case <-deadline:
				res.Err = "timed out before the kill"
			case <-tick.C:
				mu.Lock()
				n := len(listed)
				mu.Unlock()
				if n < sc.Numbers/3 {
					continue
				}
				replicas[0].kill()
				killedAt = time.Now()
				if sc.Replicas == 1 {
					replicas[0] = startReplica(t, bin, env)
				}
			}
			if res.Err != "" {
				break
			}
		}
		tick.Stop()
	}
	if res.Err == "" {
		select {
		case <-allListed:
		case <-deadline:
			res.Err = "timed out"
		}
	}
	doneAt := time.Now()
	live := replicas[len(replicas)-1]
	res.FinalRPM = live.pace()
	st := sim.Stats()
	for _, n := range st.Requests[cxonesim.KindV2Add] {
		res.Requests += n
	}
	res.Throttled = st.Requests[cxonesim.KindV2Add][http.StatusTooManyRequests]
	mu.Lock()
	res.Listed, res.Drain = len(listed), last.Sub(first)
	if from := first.Add(Warmup); last.Sub(from) > Warmup {
		n := 0
		for _, a := range at {
			if !a.Before(from) {
				n++
			}
		}
		res.Settled = float64(n) / last.Sub(from).Seconds()
	}
	mu.Unlock()
	res.Gaps = arrivals.gaps(time.Duration(float64(time.Minute)/float64(sc.Limit.PerMinute))) + "; " + arrivals.throttles()
	if dir := os.Getenv("BENCH_TRACE"); dir != "" {
		var b bytes.Buffer
		arrivals.trace(&b)
		name := fmt.Sprintf("%s-%d-%s.txt", strings.ReplaceAll(sc.Name, " ", "_"), sc.Replicas, time.Now().Format("150405"))
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
			t.Errorf("trace: %v", err)
		}
	}
	if !killedAt.IsZero() {
		res.Converge = doneAt.Sub(killedAt)
		if res.Err != "" {
			res.Converge = 0
		}
		for _, r := range replicas {
			res.Recovered += r.recovered()
		}
	}
	return res
}

// listen serves sim on loopback, noting when each API call (not token requests) arrives.
func listen(t testing.TB, sim *cxonesim.Server, a *arrivals) (string, func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/token") || strings.HasPrefix(r.URL.Path, "/sim/") {
			sim.ServeHTTP(w, r)
			return
		}
		i := a.add(time.Now())
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		sim.ServeHTTP(sw, r)
		a.answered(i, sw.status)
	})}
	go func() { _ = hs.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = hs.Close() }
}

// statusWriter notes the status of an answer.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// arrivals are the times API calls reached the simulator, and their answers' statuses.
type arrivals struct {
	mu     sync.Mutex
	at     []time.Time
	status []int
}

func (a *arrivals) add(t time.Time) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.at = append(a.at, t)
	a.status = append(a.status, 0)
	return len(a.at) - 1
}

func (a *arrivals) answered(i, status int) {
	a.mu.Lock()
	a.status[i] = status
	a.mu.Unlock()
}

// throttles describes each 429: when it came after the first call, and how long until the next
// call that was answered otherwise (the pause it cost).
func (a *arrivals) throttles() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for i, st := range a.status {
		if st != http.StatusTooManyRequests {
			continue
		}
		next := "none after"
		for j := i + 1; j < len(a.at); j++ {
			if a.status[j] != http.StatusTooManyRequests {
				next = a.at[j].Sub(a.at[i]).Round(time.Millisecond).String() + " to the next"
				break
			}
		}
		out = append(out, fmt.Sprintf("429 at %v (call %d): %s", a.at[i].Sub(a.at[0]).Round(time.Millisecond), i+1, next))
	}
	if len(out) == 0 {
		return "no 429"
	}
	return strings.Join(out, "; ")
}

// trace writes every call's arrival (seconds after the first) and status, one a line.
func (a *arrivals) trace(w io.Writer) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, t := range a.at {
		fmt.Fprintf(w, "%.4f %d\n", t.Sub(a.at[0]).Seconds(), a.status[i])
	}
}

// gaps summarizes the time between consecutive arrivals against the limit's interval.
func (a *arrivals) gaps(interval time.Duration) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.at) < 2 {
		return "no gaps"
	}
	g := make([]time.Duration, 0, len(a.at)-1)
	short := 0
	for i := 1; i < len(a.at); i++ {
		d := a.at[i].Sub(a.at[i-1])
		g = append(g, d)
		if d < interval {
			short++
		}
	}
	slices.Sort(g)
	q := func(p float64) time.Duration {
		return g[min(len(g)-1, int(p*float64(len(g))))].Round(10 * time.Microsecond)
	}
	return fmt.Sprintf("gaps min %v p1 %v p50 %v p99 %v; %d of %d under the limit's %v", q(0), q(0.01), q(0.5), q(0.99),
		short, len(g), interval.Round(10*time.Microsecond))
}

// Numbers are n distinct valid US numbers.
func Numbers(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("+1415%03d%04d", 200+i/10000, i%10000)
	}
	return out
}

func events(numbers []string) []queue.Event {
	now := time.Now().Truncate(time.Millisecond)
	evs := make([]queue.Event, len(numbers))
	for i, n := range numbers {
		evs[i] = queue.Event{Number: n, Raw: n, Action: queue.Add, Source: "bench", OccurredAt: now, ReceivedAt: now}
	}
	return evs
}

func preloadRedis(t testing.TB, url string, numbers []string) {
	t.Helper()
	s, err := redisq.Open(url, redisq.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	preload(t, s, numbers)
}

func preloadEmbedded(t testing.TB, dir string, numbers []string) {
	t.Helper()
	s, err := boltq.Open(filepath.Join(dir, "dncsync.db"), boltq.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	preload(t, s, numbers)
}

func preload(t testing.TB, q queue.Queue, numbers []string) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < len(numbers); i += 1000 {
		if _, err := q.Enqueue(ctx, events(numbers[i:min(i+1000, len(numbers))])); err != nil {
			t.Fatalf("preload: %v", err)
		}
	}
}

// replica is one running `dncsync serve`.
type replica struct {
	t      testing.TB
	url    string
	cmd    *exec.Cmd
	mu     sync.Mutex
	stderr bytes.Buffer
}

func (r *replica) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stderr.Write(p)
}

func startReplica(t testing.TB, bin string, env []string) *replica {
	t.Helper()
	r := &replica{t: t}
	r.cmd = exec.Command(bin, "serve")
	// PORT=0: the kernel picks a free port as serve listens, and serve logs it at info (a port
	// picked here could be taken before serve listens).
	r.cmd.Env = append(cleanEnv(), append(env, "PORT=0", "DNCSYNC_LOG_LEVEL=info")...)
	r.cmd.Stderr = r
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if poll.Within(20*time.Second, func() bool {
		if r.url == "" {
			m := servingPort.FindStringSubmatch(r.log())
			if m == nil {
				return false
			}
			r.url = "http://127.0.0.1:" + m[1]
		}
		resp, err := http.Get(r.url + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	}) {
		return r
	}
	r.kill()
	t.Fatalf("dncsync serve not up in 20s:\n%s", r.log())
	return nil
}

// servingPort is the port of serve's "dncsync serving" log line (JSON).
var servingPort = regexp.MustCompile(`"msg":"dncsync serving","addr":"[^"]*:(\d+)"`)

func (r *replica) log() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stderr.String()
}

// kill is a crash: SIGKILL, nothing released.
func (r *replica) kill() {
	if r.cmd.ProcessState == nil {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
	}
}

func (r *replica) stop() {
	if r.cmd.ProcessState == nil {
		_ = r.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = r.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(40 * time.Second):
			r.kill()
		}
	}
}

// pace reads dncsync_pacing_rpm from the replica's metrics.
func (r *replica) pace() float64 {
	resp, err := http.Get(r.url + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var v float64
		if _, err := fmt.Sscanf(sc.Text(), "dncsync_pacing_rpm %g", &v); err == nil {
			return v
		}
	}
	return 0
}

// recovered sums the counts of the pusher's "recovered items whose pusher stopped" log lines.
func (r *replica) recovered() int {
	n := 0
	for _, line := range strings.Split(r.log(), "\n") {
		var rec struct {
			Msg   string `json:"msg"`
			Count int    `json:"count"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "recovered items whose pusher stopped" {
			n += rec.Count
		}
	}
	return n
}

// cleanEnv is the environment without any dncsync setting the developer may have exported.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CXONE_") && !strings.HasPrefix(kv, "DNCSYNC_") && !strings.HasPrefix(kv, "REDIS_URL=") &&
			!strings.HasPrefix(kv, "PORT=") {
			out = append(out, kv)
		}
	}
	return out
}

// Lease is DNCSYNC_LEASE in every scenario (the default).
const Lease = 30 * time.Second

// verdict says whether the run met the targets: every queued number listed; a drain at
// 95% of the true cap or more with at most 1% of requests answered 429; after a kill, every number
// listed within the lease and 10 s.
func (r Result) verdict() string {
	var miss []string
	if r.Listed < r.Numbers || r.Err != "" {
		miss = append(miss, "numbers not listed")
	}
	if r.Kill {
		if r.Converge > Lease+10*time.Second {
			miss = append(miss, "slow to converge")
		}
	} else {
		if r.Rate() < r.target()*r.CapRate() {
			miss = append(miss, fmt.Sprintf("under %.0f%%", 100*r.target()))
		}
		if r.Throttled*100 > r.Requests {
			miss = append(miss, "over 1% 429s")
		}
	}
	if len(miss) == 0 {
		return "met"
	}
	return "missed: " + strings.Join(miss, ", ")
}

// Markdown writes the results as BENCHMARKS.md's table.
func Markdown(w io.Writer, results []Result) {
	fmt.Fprintln(w, "| scenario | replicas | store | configured / true limit (requests a minute) | numbers | drain | numbers a second | of the true cap | after the first 10 s | 429s / requests | converged after the kill | final pace | targets |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, r := range results {
		store := "embedded"
		if r.Redis || r.Replicas > 1 {
			store = "Redis"
		}
		conv := "-"
		if r.Kill {
			conv = fmt.Sprintf("%.1f s (%d leases recovered)", r.Converge.Seconds(), r.Recovered)
			if r.Replicas == 1 {
				conv = fmt.Sprintf("%.1f s (restarted at once)", r.Converge.Seconds())
			}
		}
		name := r.Name
		if r.Err != "" {
			name += " (" + r.Err + ")"
		}
		lost := ""
		if r.Listed < r.Numbers {
			lost = fmt.Sprintf(" (%d not listed)", r.Numbers-r.Listed)
		}
		rate, capShare, settled := fmt.Sprintf("%.0f", r.Rate()), fmt.Sprintf("%.1f%%", 100*r.Rate()/r.CapRate()), "-"
		if r.Kill {
			rate, capShare = "-", "-" // the drain includes the wait for the lease: not a rate
		} else if r.Settled > 0 {
			settled = fmt.Sprintf("%.1f%%", 100*r.Settled/r.CapRate())
		}
		fmt.Fprintf(w, "| %s | %d | %s | %d / %d | %d%s | %.1f s | %s | %s | %s | %d / %d (%.2f%%) | %s | %.0f | %s |\n",
			name, r.Replicas, store, r.ConfigRPM, r.Limit.PerMinute, r.Numbers, lost, r.Drain.Seconds(), rate,
			capShare, settled, r.Throttled, r.Requests, 100*float64(r.Throttled)/float64(max(r.Requests, 1)),
			conv, r.FinalRPM, r.verdict())
	}
}
