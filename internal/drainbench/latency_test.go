//go:build drainbench

package drainbench

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/benchmark"
)

// TestLatencyBench measures the time from an opt-out's receipt to the destination at light load
// (10 events a second, each posted alone, to a simulator that answers at once) with each store,
// and the drain of a 20,000-event burst at 1,200 requests a minute; it writes its section of
// $BENCH_OUT (default BENCHMARKS.md). $BENCH_LATENCY_SECONDS (default 30) is the light load's
// length; $BENCH_BURST (default 20000) the burst's size; $BENCH_ONLY runs the scenarios whose name
// contains it.
func TestLatencyBench(t *testing.T) {
	seconds := envFloat(t, "BENCH_LATENCY_SECONDS", 30)
	burst := int(envFloat(t, "BENCH_BURST", 20000))
	out := os.Getenv("BENCH_OUT")
	if out == "" {
		out = "../../BENCHMARKS.md"
	}
	light := int(seconds * 10)
	scenarios := []Load{
		{Name: "light load, 10 events/s", PerSecond: 10, Events: light, ConfigRPM: 1200},
		{Name: "light load, 10 events/s", Redis: true, PerSecond: 10, Events: light, ConfigRPM: 1200},
		{Name: "burst", Events: burst, Concurrency: 4, Batch: 100, ConfigRPM: 1200},
		{Name: "burst", Redis: true, Events: burst, Concurrency: 4, Batch: 100, ConfigRPM: 1200},
	}
	only := os.Getenv("BENCH_ONLY")
	bin := Build(t, t.TempDir())
	load0 := benchmark.LoadAvg()
	start := time.Now()
	var results []LoadResult
	for _, sc := range scenarios {
		if only != "" && !strings.Contains(sc.Name, only) {
			continue
		}
		r := RunLoad(t, bin, sc)
		var b bytes.Buffer
		LoadMarkdown(&b, []LoadResult{r})
		t.Logf("%s", strings.SplitN(b.String(), "\n", 3)[2])
		results = append(results, r)
	}
	var doc bytes.Buffer
	fmt.Fprintf(&doc, `## From receipt to the destination (`+"`make bench-latency`"+`)

Written by `+"`make bench-latency`"+` (internal/drainbench): the real `+"`dncsync serve`"+` binary against
the CXone simulator (v2 profile, a bucket of one at `+"`CXONE_RATE_LIMIT_RPM`"+`, answering at once),
default settings but for the rate limit. Opt-outs are posted to the binary's webhook, one a request:
at light load 10 a second, one event a request, one after the other; in a burst as fast as 4
senders can, 100 events a request. "Outside" is
measured by the bench: from the start of the POST (so the intake's durable write is included) to
the simulator's receipt of the request that carried the number, and to its answer written (dncsync
confirms right after). "Metric" is the p99 of the binary's own histograms
(`+"`dncsync_receipt_to_request_seconds`, `dncsync_receipt_to_confirmation_seconds`"+`: from the
event's receipt, in ms, to the request's turn granted and to the destination's confirmation),
interpolated within their buckets. The targets: at light load, receipt to request p99 under 50 ms
and receipt to confirmation p99 under 100 ms; in the burst, at least 94%% of the cap (%d numbers a
request at the configured limit) in full batches.

Run %s on %d cores, %s; load average %s before, %s after (the machine is shared with other
developers' builds and tests: the figures are noisy).

`, BatchSize, start.UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), benchmark.GoVersion(), load0, benchmark.LoadAvg())
	LoadMarkdown(&doc, results)
	if err := benchmark.WriteSection(out, "bench-latency", doc.String()); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", out)
}

func envFloat(t *testing.T, name string, def float64) float64 {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 {
		t.Fatalf("%s=%q", name, v)
	}
	return f
}
