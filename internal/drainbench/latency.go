package drainbench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/cxone/cxonesim"
	"github.com/dncsync/dncsync/internal/redistest"
)

// Load is a scenario of opt-outs posted to a running `dncsync serve` (its webhook), as senders do,
// while it drains them into the CXone simulator: at a steady rate (light load), or all at once (a
// burst).
type Load struct {
	Name  string
	Redis bool
	// PerSecond is events a second; 0 posts them as fast as Concurrency senders can (a burst).
	PerSecond   float64
	Events      int
	Concurrency int // senders of a burst
	Batch       int // events a request in a burst (a JSON array); 1 at a steady rate
	ConfigRPM   int // CXONE_RATE_LIMIT_RPM, and the simulator's bucket of one
}

// LoadResult is what a Load scenario measured.
type LoadResult struct {
	Load
	Posted, Listed int
	// ToRequest and ToAnswer are, for each number listed, the time from the start of its POST to
	// the simulator's receipt of the request that carried it, and to the simulator's answer to
	// that request: measured from outside the binary.
	ToRequest, ToAnswer []time.Duration
	// MetricRequest and MetricConfirm are the p99 of the binary's own histograms
	// (dncsync_receipt_to_request_seconds, dncsync_receipt_to_confirmation_seconds), interpolated
	// within their buckets.
	MetricRequest, MetricConfirm float64
	Requests, Throttled          int           // add requests the simulator answered, and with 429
	Drain                        time.Duration // first number listed to last
	Err                          string
}

// CapRate is the cap in numbers a second: full batches at the simulator's limit.
func (r LoadResult) CapRate() float64 { return float64(r.ConfigRPM) / 60 * BatchSize }

// Rate is numbers listed a second, first to last.
func (r LoadResult) Rate() float64 {
	if r.Drain <= 0 {
		return 0
	}
	return float64(r.Listed) / r.Drain.Seconds()
}

// MeanBatch is numbers per accepted add request.
func (r LoadResult) MeanBatch() float64 {
	return float64(r.Listed) / float64(max(r.Requests-r.Throttled, 1))
}

// exchange is one API call the simulator served: when it arrived, when its answer was written.
type exchange struct{ in, out time.Time }

// RunLoad runs one Load scenario with the binary bin.
func RunLoad(t testing.TB, bin string, sc Load) LoadResult {
	t.Helper()
	res := LoadResult{Load: sc}
	limit := cxonesim.RateLimit{Shape: cxonesim.ShapeBucket, PerMinute: sc.ConfigRPM, Burst: 1}
	sim := cxonesim.New(cxonesim.Config{ClientID: "bench", ClientSecret: "bench-secret", ListID: "bench-list",
		RatePerMinute: sc.ConfigRPM, Seed: 1})
	sim.SetRateLimit(limit)
	numbers := Numbers(sc.Events)
	var mu sync.Mutex
	listedAt := map[string]time.Time{}
	var first, last time.Time
	allListed := make(chan struct{})
	sim.OnChange(func(c cxonesim.Change) {
		mu.Lock()
		defer mu.Unlock()
		if c.Op != cxonesim.OpAdd {
			return
		}
		if _, ok := listedAt[c.Number]; ok {
			return
		}
		listedAt[c.Number] = c.At
		if first.IsZero() {
			first = c.At
		}
		last = c.At
		if len(listedAt) == sc.Events {
			close(allListed)
		}
	})
	var exMu sync.Mutex
	var exchanges []exchange
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in := time.Now()
		sim.ServeHTTP(w, r)
		if !strings.Contains(r.URL.Path, "/token") && !strings.HasPrefix(r.URL.Path, "/sim/") {
			exMu.Lock()
			exchanges = append(exchanges, exchange{in: in, out: time.Now()})
			exMu.Unlock()
		}
	})}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()

	env := []string{"CXONE_API=v2", "CXONE_BASE_URL=http://" + ln.Addr().String(), "CXONE_CLIENT_ID=bench",
		"CXONE_CLIENT_SECRET=bench-secret", "CXONE_DNC_LIST_ID=bench-list",
		fmt.Sprintf("CXONE_RATE_LIMIT_RPM=%d", sc.ConfigRPM), fmt.Sprintf("DNCSYNC_BATCH_SIZE=%d", BatchSize),
		"DNCSYNC_WEBHOOK_AUTH=none", "DNCSYNC_LOG_LEVEL=warn", "DNCSYNC_LOG_FORMAT=json"}
	if sc.Redis {
		env = append(env, "REDIS_URL="+redistest.Start(t).URL())
	} else {
		env = append(env, "DNCSYNC_DATA_DIR="+t.TempDir())
	}
	rep := startReplica(t, bin, env)
	defer rep.stop()

	postedAt := make([]time.Time, len(numbers))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: max(sc.Concurrency, 1)}, Timeout: 30 * time.Second}
	post := func(from, to int) error {
		evs := make([]string, 0, to-from)
		for _, n := range numbers[from:to] {
			evs = append(evs, fmt.Sprintf(`{"eventType":"contact.opt_out","data":{"phoneNumber":%q}}`, n))
		}
		body := evs[0]
		if len(evs) > 1 {
			body = "[" + strings.Join(evs, ",") + "]"
		}
		now := time.Now()
		for i := from; i < to; i++ {
			postedAt[i] = now
		}
		resp, err := client.Post(rep.url+"/webhook/opt-out", "application/json", strings.NewReader(body))
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("POST answered %s", resp.Status)
		}
		return nil
	}
	var postErr error
	var errOnce sync.Once
	if sc.PerSecond > 0 {
		tick := time.NewTicker(time.Duration(float64(time.Second) / sc.PerSecond))
		for i := range numbers {
			<-tick.C
			if err := post(i, i+1); err != nil {
				postErr = err
				break
			}
			res.Posted++
		}
		tick.Stop()
	} else {
		var wg sync.WaitGroup
		next := make(chan int)
		for range max(sc.Concurrency, 1) {
			wg.Go(func() {
				for i := range next {
					if err := post(i, min(i+max(sc.Batch, 1), len(numbers))); err != nil {
						errOnce.Do(func() { postErr = err })
					}
				}
			})
		}
		for i := 0; i < len(numbers); i += max(sc.Batch, 1) {
			next <- i
		}
		close(next)
		wg.Wait()
		res.Posted = len(numbers)
	}
	if postErr != nil {
		res.Err = "posting: " + postErr.Error()
	} else {
		expect := time.Duration(float64(sc.Events)/res.CapRate()*float64(time.Second)) + 30*time.Second
		select {
		case <-allListed:
		case <-time.After(3 * expect):
			res.Err = "timed out"
		}
	}
	// The binary observes its histograms right after the answer: give the last one a moment.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		c, ok := histogram(rep.url, "dncsync_receipt_to_confirmation_seconds")
		if ok && c.count >= float64(len(listedAt)) {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
	if h, ok := histogram(rep.url, "dncsync_receipt_to_request_seconds"); ok {
		res.MetricRequest = h.quantile(0.99)
	}
	if h, ok := histogram(rep.url, "dncsync_receipt_to_confirmation_seconds"); ok {
		res.MetricConfirm = h.quantile(0.99)
	}
	st := sim.Stats()
	for _, n := range st.Requests[cxonesim.KindV2Add] {
		res.Requests += n
	}
	res.Throttled = st.Requests[cxonesim.KindV2Add][http.StatusTooManyRequests]

	mu.Lock()
	defer mu.Unlock()
	exMu.Lock()
	defer exMu.Unlock()
	res.Listed, res.Drain = len(listedAt), last.Sub(first)
	slices.SortFunc(exchanges, func(a, b exchange) int { return a.in.Compare(b.in) })
	for i, n := range numbers {
		at, ok := listedAt[n]
		if !ok || postedAt[i].IsZero() {
			continue
		}
		// The exchange that listed it: the last to arrive before the listing.
		j, _ := slices.BinarySearchFunc(exchanges, at, func(e exchange, t time.Time) int { return e.in.Compare(t) })
		if j == 0 {
			continue
		}
		ex := exchanges[j-1]
		res.ToRequest = append(res.ToRequest, ex.in.Sub(postedAt[i]))
		res.ToAnswer = append(res.ToAnswer, ex.out.Sub(postedAt[i]))
	}
	return res
}

// hist is a Prometheus histogram as read from /metrics.
type hist struct {
	les, counts []float64 // cumulative, by upper bound
	count       float64
}

// quantile interpolates linearly within the bucket that holds q, as histogram_quantile does.
func (h hist) quantile(q float64) float64 {
	if h.count == 0 {
		return 0
	}
	rank := q * h.count
	lo, below := 0.0, 0.0
	for i, le := range h.les {
		if h.counts[i] >= rank {
			if le > 1e300 {
				return lo
			}
			in := h.counts[i] - below
			if in == 0 {
				return le
			}
			return lo + (le-lo)*(rank-below)/in
		}
		lo, below = le, h.counts[i]
	}
	return lo
}

// histogram reads the histogram name (any labels) from a replica's /metrics.
func histogram(base, name string) (hist, bool) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return hist{}, false
	}
	defer resp.Body.Close()
	var h hist
	found := false
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, name+"_bucket{"):
			i := strings.Index(line, `le="`)
			j := strings.LastIndex(line, " ")
			if i < 0 || j < 0 {
				continue
			}
			leStr := line[i+4:]
			leStr = leStr[:strings.Index(leStr, `"`)]
			le, err1 := strconv.ParseFloat(leStr, 64)
			v, err2 := strconv.ParseFloat(line[j+1:], 64)
			if err1 != nil || err2 != nil {
				continue
			}
			h.les, h.counts = append(h.les, le), append(h.counts, v)
			found = true
		case strings.HasPrefix(line, name+"_count"):
			if j := strings.LastIndex(line, " "); j >= 0 {
				h.count, _ = strconv.ParseFloat(line[j+1:], 64)
			}
		}
	}
	return h, found
}

// quantile of ds (sorted in place).
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[min(len(ds)-1, int(q*float64(len(ds))))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

// LoadMarkdown writes the results as BENCHMARKS.md's table.
func LoadMarkdown(w io.Writer, results []LoadResult) {
	fmt.Fprintln(w, "| scenario | store | events | receipt → request p50 / p99 (outside) | receipt → answer p50 / p99 (outside) | receipt → request p99 (metric) | receipt → confirmation p99 (metric) | drain: numbers a second, of the cap | numbers a request | 429s / requests | targets |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, r := range results {
		store := "embedded"
		if r.Redis {
			store = "Redis"
		}
		name := r.Name
		if r.Err != "" {
			name += " (" + r.Err + ")"
		}
		drain := "-"
		if r.PerSecond == 0 && r.Rate() > 0 {
			drain = fmt.Sprintf("%.0f, %.1f%%", r.Rate(), 100*r.Rate()/r.CapRate())
		}
		fmt.Fprintf(w, "| %s | %s | %d of %d listed | %s / %s | %s / %s | %.1f ms | %.1f ms | %s | %.1f | %d / %d | %s |\n",
			name, store, r.Listed, r.Events, ms(quantile(r.ToRequest, 0.5)), ms(quantile(r.ToRequest, 0.99)),
			ms(quantile(r.ToAnswer, 0.5)), ms(quantile(r.ToAnswer, 0.99)), 1000*r.MetricRequest, 1000*r.MetricConfirm,
			drain, r.MeanBatch(), r.Throttled, r.Requests, r.verdict())
	}
}

// verdict: at light load (a steady rate) receipt to request p99 under 50 ms and to confirmation
// under 100 ms; in a burst at least 94% of the cap in full batches.
func (r LoadResult) verdict() string {
	var miss []string
	if r.Listed < r.Events || r.Err != "" {
		miss = append(miss, "numbers not listed")
	}
	if r.PerSecond > 0 {
		if quantile(r.ToRequest, 0.99) >= 50*time.Millisecond || r.MetricRequest >= 0.05 {
			miss = append(miss, "request p99 ≥ 50 ms")
		}
		if quantile(r.ToAnswer, 0.99) >= 100*time.Millisecond || r.MetricConfirm >= 0.1 {
			miss = append(miss, "confirmation p99 ≥ 100 ms")
		}
	} else {
		if r.Rate() < 0.94*r.CapRate() {
			miss = append(miss, "under 94% of the cap")
		}
		// Full batches: the first number of a burst may go alone (the pace had room), the last
		// batch holds what is left; every other request is full.
		if full := (r.Events + BatchSize - 1) / BatchSize; r.Requests-r.Throttled > full+1 {
			miss = append(miss, "batches not full")
		}
	}
	if len(miss) == 0 {
		return "met"
	}
	return "missed: " + strings.Join(miss, ", ")
}
