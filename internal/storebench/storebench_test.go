//go:build storebench

package storebench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/dncsync/dncsync/internal/benchmark"
	"github.com/dncsync/dncsync/internal/pgtest"
	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/boltq"
	"github.com/dncsync/dncsync/internal/queue/pgq"
	"github.com/dncsync/dncsync/internal/queue/redisq"
	"github.com/dncsync/dncsync/internal/redistest"
)

// dests are the destinations every number is queued for and confirmed by: full evidence is one
// add and one confirmation by each.
var dests = []string{"cxone", "genesys"}

// result is one store's measures.
type result struct {
	Store      string
	Numbers    int
	Seed       time.Duration
	Bytes      int64  // what the store holds for them (disk, or Redis's memory)
	BytesNote  string // how Bytes was measured
	Lookup     [3]time.Duration
	Intake     float64 // events/s, batches of 100
	IntakeNote string
	Tables     string // PostgreSQL: the largest relations, bytes per number
}

// TestStoreBench imports a file of $BENCH_IMPORT_ROWS rows (default 1000000; 0: none) into
// PostgreSQL with the binary, seeds $BENCH_NUMBERS numbers (default 1000000) into each of
// $BENCH_STORES (default embedded,redis,postgres), measures, and writes its section of $BENCH_OUT (default
// BENCHMARKS.md at the repository's root) between its markers.
func TestStoreBench(t *testing.T) {
	n := envInt(t, "BENCH_NUMBERS", 1000000)
	stores := []string{"embedded", "redis", "postgres"}
	if v := os.Getenv("BENCH_STORES"); v != "" {
		stores = strings.Split(v, ",")
	}
	out := os.Getenv("BENCH_OUT")
	if out == "" {
		out = "../../BENCHMARKS.md"
	}
	load0, start := benchmark.LoadAvg(), time.Now()
	var imp *importRun
	var res []result
	for i, st := range stores {
		r := measure(t, strings.TrimSpace(st), n)
		t.Logf("%+v", r)
		res = append(res, r)
		// The import after the first store: a run cut short keeps the first store's figures.
		if i == 0 && os.Getenv("BENCH_IMPORT_ROWS") != "0" {
			ir := measureImport(t, envInt(t, "BENCH_IMPORT_ROWS", 1000000))
			imp = &ir
			t.Logf("%+v", ir)
		}
		// Written after each store, so that a run cut short keeps the stores it measured.
		var doc bytes.Buffer
		report(&doc, res, start, load0)
		if imp != nil {
			fmt.Fprintf(&doc, "`dncsync import` of %d rows into PostgreSQL (two destinations, a fresh schema, the real binary "+
				"with its default 4 batches of 500 in flight; COPY into a staging table and one merge per batch): %.1f s "+
				"(target: under 45 s), `%s`; the rerun of the same file: %.1f s, `%s`.\n\n",
				imp.Rows, imp.Wall.Seconds(), imp.Summary, imp.Rerun.Seconds(), imp.Again)
		}
		fmt.Print(doc.String())
		if err := benchmark.WriteSection(out, "bench-store", doc.String()); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", out)
	}
}

// retry runs op until it succeeds, five times at most: on a loaded machine a store's client may
// time out on a call the store then completes, and every call of the seeding is safe to repeat
// (event ids make an enqueue a duplicate; an ack applies to its lease once).
func retry(t *testing.T, what string, op func() error) bool {
	var err error
	for i := range 5 {
		if err = op(); err == nil {
			return true
		}
		t.Logf("%s: %v (try %d)", what, err, i+1)
		time.Sleep(time.Second) // a loaded server signals nothing when it is less busy: a pause before the next try
	}
	t.Errorf("%s: %v", what, err)
	return false
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q", name, v)
	}
	return n
}

// number is the i-th number of the bench: distinct for i below 700 * 700 * 10000.
func number(i int) string {
	return fmt.Sprintf("+1%03d%03d%04d", 201+i/7000000%700, 201+i/10000%700, i%10000)
}

// event is the request for number i as a webhook sends it: an id, the raw text as typed, a source.
func event(i int, at time.Time) queue.Event {
	n := number(i)
	return queue.Event{ID: "evt-" + strconv.Itoa(i), Number: n, Raw: fmt.Sprintf("(%s) %s-%s", n[2:5], n[5:8], n[8:]),
		Action: queue.Add, Source: "crm", Channel: "web", Reason: "asked", OccurredAt: at, ReceivedAt: at}
}

// opened is a store under measure: the store, how to read its size, and how to close it.
type opened struct {
	s     queue.Store
	size  func() (int64, string)
	close func()
	extra func() string
}

func measure(t *testing.T, name string, n int) result {
	var o opened
	switch name {
	case "embedded":
		o = openBolt(t)
	case "redis":
		o = openRedis(t)
	case "postgres":
		o = openPG(t)
	default:
		t.Fatalf("BENCH_STORES: unknown store %q", name)
	}
	defer o.close()
	r := result{Store: name, Numbers: n}
	t0 := time.Now()
	seed(t, o.s, 0, n)
	r.Seed = time.Since(t0)
	t.Logf("%s: seeded %d numbers in %s", name, n, r.Seed)
	r.Bytes, r.BytesNote = o.size()
	if o.extra != nil {
		r.Tables = o.extra()
	}
	r.Lookup = lookups(t, o.s, n, 10000)
	r.Intake, r.IntakeNote = intake(t, o.s, n)
	return r
}

const seedBatch = 500

// seed gives numbers [from, to) full evidence: each added, then claimed and acknowledged by every
// destination, through the store's own API, a few callers at once.
func seed(t *testing.T, s queue.Store, from, to int) {
	ctx := context.Background()
	at := time.Now().Add(-time.Minute)
	var next atomic.Int64
	next.Store(int64(from))
	var done atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				lo := int(next.Add(seedBatch)) - seedBatch
				if lo >= to {
					return
				}
				evs := make([]queue.Event, 0, seedBatch)
				for i := lo; i < min(lo+seedBatch, to); i++ {
					evs = append(evs, event(i, at))
				}
				if !retry(t, "enqueue", func() error { _, err := s.Enqueue(ctx, evs); return err }) {
					return
				}
				drain(t, s, false)
				if d := done.Add(int64(len(evs))); d/100000 != (d-int64(len(evs)))/100000 {
					t.Logf("seeded %d", d)
				}
			}
		})
	}
	wg.Wait()
	drain(t, s, true)
}

// drain claims and acknowledges what each destination has ready: one claim each, or (all) until none is.
func drain(t *testing.T, s queue.Store, all bool) {
	ctx := context.Background()
	r := s.(queue.Router)
	for _, d := range dests {
		q, err := r.Dest(d)
		if err != nil {
			t.Fatal(err)
		}
		for {
			var items []queue.Item
			if !retry(t, "claim", func() (err error) { items, err = q.Claim(ctx, seedBatch, time.Minute); return err }) {
				return
			}
			if len(items) == 0 {
				break
			}
			if !retry(t, "ack", func() error { return q.Ack(ctx, items) }) {
				return
			}
			if !all {
				break
			}
		}
	}
}

// lookups looks up k random numbers of the n seeded, one at a time, and returns p50, p99, max.
func lookups(t *testing.T, s queue.Store, n, k int) [3]time.Duration {
	ctx := context.Background()
	lat := make([]time.Duration, k)
	x := uint64(0x9e3779b97f4a7c15)
	for i := range lat {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		num := number(int(x % uint64(n)))
		t0 := time.Now()
		h, found, err := s.Lookup(ctx, num, queue.Page{})
		lat[i] = time.Since(t0)
		if err != nil || !found || len(h.Records) != 1+len(dests) {
			// A seeding call that timed out may have left a claim unanswered until its lease ends.
			t.Errorf("lookup %s: found %v, %d records, %v", num, found, len(h.Records), err)
		}
	}
	slices.Sort(lat)
	return [3]time.Duration{lat[k/2], lat[k*99/100], lat[k-1]}
}

// intake enqueues new numbers in batches of 100 from 4 callers for $BENCH_INTAKE_SECONDS (default
// 10) and returns accepted events a second.
func intake(t *testing.T, s queue.Store, from int) (float64, string) {
	secs := envInt(t, "BENCH_INTAKE_SECONDS", 10)
	const callers, batch = 4, 100
	ctx := context.Background()
	var next atomic.Int64
	next.Store(int64(from))
	stop := time.Now().Add(time.Duration(secs) * time.Second)
	var wg sync.WaitGroup
	var events atomic.Int64
	t0 := time.Now()
	for range callers {
		wg.Go(func() {
			evs := make([]queue.Event, batch)
			for time.Now().Before(stop) {
				lo := int(next.Add(batch)) - batch
				for i := range evs {
					evs[i] = event(lo+i, t0)
				}
				if _, err := s.Enqueue(ctx, evs); err != nil {
					t.Error(err)
					return
				}
				events.Add(batch)
			}
		})
	}
	wg.Wait()
	el := time.Since(t0)
	return float64(events.Load()) / el.Seconds(), fmt.Sprintf("%d callers, %d s", callers, secs)
}

func openBolt(t *testing.T) opened {
	path := filepath.Join(t.TempDir(), "dncsync.db")
	s, err := boltq.Open(path, boltq.Options{Destinations: dests})
	if err != nil {
		t.Fatal(err)
	}
	return opened{s: s, close: func() { s.Close() }, size: func() (int64, string) {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size(), "file size"
	}}
}

func openRedis(t *testing.T) opened {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	used := func() int64 {
		s, err := rdb.Info(context.Background(), "memory").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(s, "\r\n") {
			if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				return n
			}
		}
		t.Fatal("no used_memory in INFO memory")
		return 0
	}
	before := used()
	s, err := redisq.Open(srv.URL(), redisq.Options{Destinations: dests})
	if err != nil {
		t.Fatal(err)
	}
	return opened{s: s, close: func() { s.Close(); rdb.Close(); srv.Kill() }, size: func() (int64, string) {
		return used() - before, "used_memory growth (RAM)"
	}}
}

func openPG(t *testing.T) opened {
	url := pgtest.Schema(t)
	ctx := context.Background()
	if _, err := pgq.Migrate(ctx, url, false); err != nil {
		t.Fatal(err)
	}
	s, err := pgq.Open(ctx, url, pgq.Options{Destinations: dests})
	if err != nil {
		t.Fatal(err)
	}
	db, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	note := "pg_total_relation_size of every table (indexes, TOAST) after VACUUM"
	// A server running without autovacuum (this kind of test machine) never vacuums the queue while
	// the numbers go through it, and its indexes grow with every entry ever queued. Production runs
	// autovacuum (schema 4 tunes it for the queue); stand in for it: the queue vacuumed every 10 s.
	var av string
	if err := db.QueryRow(ctx, `SHOW autovacuum`).Scan(&av); err != nil {
		t.Fatal(err)
	}
	stopVacuum := func() {}
	if av == "off" {
		note += "; autovacuum is off on this server: the bench vacuums the queue every 10 s in its stead"
		done, stopped := make(chan struct{}), make(chan struct{})
		vdb, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			defer close(stopped)
			defer vdb.Close(ctx)
			tick := time.NewTicker(10 * time.Second)
			defer tick.Stop()
			for {
				select {
				case <-done:
					return
				case <-tick.C:
					if _, err := vdb.Exec(ctx, `VACUUM queue`); err != nil {
						t.Error(err)
					}
				}
			}
		}()
		stopVacuum = sync.OnceFunc(func() { close(done); <-stopped })
	}
	o := opened{s: s, close: func() { stopVacuum(); s.Close(); db.Close(ctx) }}
	o.size = func() (int64, string) {
		stopVacuum()
		if _, err := db.Exec(ctx, `VACUUM ANALYZE`); err != nil {
			t.Fatal(err)
		}
		var total, ids int64
		if err := db.QueryRow(ctx, `SELECT sum(pg_total_relation_size(c.oid)),
			sum(pg_total_relation_size(c.oid)) FILTER (WHERE c.relname = 'event_ids'), (SELECT count(*) FROM numbers)
			FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
			WHERE ns.nspname = current_schema() AND c.relkind IN ('r', 'm')`).Scan(&total, &ids, &n); err != nil {
			t.Fatal(err)
		}
		// Event ids are kept a week (DNCSYNC_EVENT_ID_TTL), not five years: at a steady intake
		// they hold the last week's requests only, so the figure without them is given too.
		if n > 0 {
			note += fmt.Sprintf("; of which event_ids (kept a week, then swept) %d B, without them %d B",
				ids/int64(n), (total-ids)/int64(n))
		}
		return total, note
	}
	o.extra = func() string {
		rows, err := db.Query(ctx, `SELECT c.relname, pg_relation_size(c.oid) FROM pg_class c
			JOIN pg_namespace ns ON ns.oid = c.relnamespace WHERE ns.nspname = current_schema() AND c.relkind IN ('r', 'i')
			ORDER BY 2 DESC LIMIT 16`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var parts []string
		for rows.Next() {
			var name string
			var size int64
			if err := rows.Scan(&name, &size); err != nil {
				t.Fatal(err)
			}
			if size > 0 && n > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", name, size/int64(n)))
			}
		}
		return strings.Join(parts, ", ")
	}
	return o
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

func report(w *bytes.Buffer, res []result, start time.Time, load0 string) {
	fmt.Fprintf(w, "## The stores side by side, measured (`make bench-store`)\n\n"+
		"Written by `make bench-store` (internal/storebench), one run, each store through its own API in the test\n"+
		"process: numbers seeded with full evidence (one add, with an event id, raw text, source and channel, and\n"+
		"its confirmation by each of two destinations, cxone and genesys: claimed and acknowledged), then 10,000\n"+
		"lookups of random seeded numbers one at a time, then intake of new numbers in batches of 100 from 4\n"+
		"callers. Embedded: the bbolt file; Redis: a fresh `redis-server` (appendonly yes, everysec), its\n"+
		"`used_memory` growth; PostgreSQL: a schema of its own on the local server (synchronous_commit on).\n"+
		"Targets (issue 18, PostgreSQL): at most 400 B per number, lookup p99 under 10 ms at 10M numbers,\n"+
		"25,000 events/s in batches of 100.\n\n"+
		"Run %s on %d cores, %s, %s; load average %s before, %s after (the machine is shared).\n\n"+
		"| store | numbers | seeding | bytes per number | lookup p50 / p99 / max | intake, batches of 100 |\n"+
		"| --- | --- | --- | --- | --- | --- |\n",
		start.UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), benchmark.GoVersion(), pgVersion(), load0, benchmark.LoadAvg())
	for _, r := range res {
		fmt.Fprintf(w, "| %s | %d | %.0f s | %.0f B (%s) | %s / %s / %s | %.0f events/s (%s) |\n", r.Store, r.Numbers,
			r.Seed.Seconds(), float64(r.Bytes)/float64(r.Numbers), r.BytesNote, ms(r.Lookup[0]), ms(r.Lookup[1]),
			ms(r.Lookup[2]), r.Intake, r.IntakeNote)
	}
	for _, r := range res {
		if r.Tables != "" {
			fmt.Fprintf(w, "\nPostgreSQL, bytes per number by relation (main fork): %s.\n", r.Tables)
		}
	}
	fmt.Fprintln(w)
}

func pgVersion() string {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.ServerURL())
	if err != nil {
		return "PostgreSQL unknown"
	}
	defer conn.Close(ctx)
	var v string
	if conn.QueryRow(ctx, `SHOW server_version`).Scan(&v) != nil {
		return "PostgreSQL unknown"
	}
	return "PostgreSQL " + v
}
