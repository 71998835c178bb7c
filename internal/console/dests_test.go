package console

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dncsync/dncsync/internal/gate"
	"github.com/dncsync/dncsync/internal/ops"
	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/boltq"
)

type fixedPace float64

func (p fixedPace) CurrentRPM() float64    { return float64(p) }
func (p fixedPace) PausedUntil() time.Time { return time.Time{} }

var titles = map[string]string{"cxone": "NICE CXone", "genesys": "Genesys Cloud", "webhook": "Signed webhook"}

type multi struct {
	*bundle
	dests map[string]queue.Store
	reg   *prometheus.Registry
	hist  *prometheus.HistogramVec
}

// setupMulti is the page of a store with three destinations, each with its own pace, and a
// registry holding the confirmation histogram.
func setupMulti(t *testing.T) *multi {
	t.Helper()
	s, err := boltq.Open(filepath.Join(t.TempDir(), "q.db"), boltq.Options{Destinations: []string{"cxone", "genesys", "webhook"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	m := &multi{dests: map[string]queue.Store{}, reg: prometheus.NewRegistry()}
	m.hist = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: ConfirmationHistogram,
		Buckets: []float64{1, 2, 5, 10, 30}}, []string{"destination"})
	m.reg.MustRegister(m.hist)
	var lanes []ops.Lane
	for i, name := range []string{"cxone", "genesys", "webhook"} {
		d, err := s.Dest(name)
		if err != nil {
			t.Fatal(err)
		}
		m.dests[name] = d
		lanes = append(lanes, ops.Lane{Name: name, Store: d, Pacing: fixedPace(97 * (i + 1))})
	}
	rec := &Recorder{}
	h := &Handler{Store: m.dests["cxone"].(Store), Admin: gate.New(gate.Config{Realm: "admin", Token: token}),
		Sessions: s, DefaultRegion: "US", Recorder: rec, Lanes: lanes, Primary: "cxone", Titles: titles,
		Sampler: &Sampler{Gatherer: m.reg, Stats: s.Stats}}
	mux := http.NewServeMux()
	h.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	m.bundle = &bundle{store: s, srv: srv, h: h}
	return m
}

func (m *multi) page(t *testing.T, query string) string {
	t.Helper()
	resp, body := get(t, http.DefaultClient, m.srv.URL+"/"+query, "Authorization", "Bearer "+token)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("page: %d\n%s", resp.StatusCode, body)
	}
	return body
}

// confirm claims and acknowledges everything queued for destination name.
func (m *multi) confirm(t *testing.T, name string) {
	t.Helper()
	ctx := context.Background()
	items, err := m.dests[name].Claim(ctx, 100, time.Minute)
	if err != nil || len(items) == 0 {
		t.Fatalf("claim %s: %d %v", name, len(items), err)
	}
	if err := m.dests[name].Ack(ctx, items); err != nil {
		t.Fatal(err)
	}
}

// TestPageWithSeveralDestinations: each destination's pace and p99 in the table (no "unknown"
// pacing tile), the oldest unsynced request naming the destination it waits for.
func TestPageWithSeveralDestinations(t *testing.T) {
	m := setupMulti(t)
	body := m.page(t, "")
	if !strings.Contains(body, "Nothing waits for any destination.") {
		t.Fatalf("an empty queue with several destinations:\n%s", body)
	}
	old := time.Now().Add(-3 * 24 * time.Hour).Truncate(time.Millisecond)
	if _, err := m.store.Enqueue(context.Background(), []queue.Event{{Number: "+14155552671", Action: queue.Add,
		OccurredAt: old, ReceivedAt: old}}); err != nil {
		t.Fatal(err)
	}
	m.confirm(t, "cxone")
	m.confirm(t, "webhook")
	for range 100 {
		m.hist.WithLabelValues("cxone").Observe(1.5)
	}
	body = m.page(t, "")
	for _, want := range []string{
		`<tr id="dest-cxone"><td>NICE CXone</td>`,
		`<tr id="dest-genesys"><td>Genesys Cloud</td>`,
		`<tr id="dest-webhook"><td>Signed webhook</td>`,
		"97 requests/min", "194 requests/min", "291 requests/min",
		`due at <span id="clock-destination">Genesys Cloud</span>`,
		`<td class="p99">2.0 s</td>`, // 100 observations in (1, 2]: p99 interpolates to 1.99
		`<td class="p99">—</td>`,
		"Dead letters at NICE CXone", "dncsync dlq list --destination NAME",
	} {
		if !strings.Contains(body, want) {
			t.Fatalf("page lacks %q:\n%s", want, body)
		}
	}
	for _, not := range []string{`id="pacing"`, "unknown", "CXone by"} {
		if strings.Contains(body, not) {
			t.Fatalf("page has %q:\n%s", not, body)
		}
	}
	if i, j := strings.Index(body, `id="dest-cxone"`), strings.Index(body, `id="dest-webhook"`); i > j {
		t.Fatal("the destinations are not in the configured order")
	}
}

// TestPageWithOneDestination names the only destination, whatever it is, in the pace tile and the
// clock, and shows its p99 read from the unlabelled histogram.
func TestPageWithOneDestination(t *testing.T) {
	b := setup(t)
	reg := prometheus.NewRegistry()
	hist := prometheus.NewHistogram(prometheus.HistogramOpts{Name: ConfirmationHistogram, Buckets: []float64{1, 10, 100}})
	reg.MustRegister(hist)
	b.h.Primary, b.h.Titles, b.h.Pacing = "genesys", titles, fixedPace(120)
	b.h.Sampler = &Sampler{Gatherer: reg, Stats: b.store.Stats}
	_, body := get(t, http.DefaultClient, b.srv.URL+"/", "Authorization", "Bearer "+token)
	for _, want := range []string{`id="pacing">pace of Genesys Cloud<b style="font-size:14px">120 requests/min`,
		`id="p99">receipt to confirmation, p99<b style="font-size:14px">—</b>`, "Nothing waits for Genesys Cloud."} {
		if !strings.Contains(body, want) {
			t.Fatalf("page lacks %q:\n%s", want, body)
		}
	}
	hist.Observe(50)
	_, body = get(t, http.DefaultClient, b.srv.URL+"/", "Authorization", "Bearer "+token)
	if want := `p99<b style="font-size:14px">99.1 s</b>`; !strings.Contains(body, want) { // 10 + 90*0.99
		t.Fatalf("page lacks %q:\n%s", want, body)
	}
	if strings.Contains(body, "destinations") {
		t.Fatal("one destination has no table of destinations")
	}
	// A histogram labelled with the one destination's name is read as well.
	reg = prometheus.NewRegistry()
	vec := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: ConfirmationHistogram, Buckets: []float64{1, 10}}, []string{"destination"})
	reg.MustRegister(vec)
	vec.WithLabelValues("genesys").Observe(0.2)
	b.h.Sampler = &Sampler{Gatherer: reg, Stats: b.store.Stats}
	_, body = get(t, http.DefaultClient, b.srv.URL+"/", "Authorization", "Bearer "+token)
	if want := `p99<b style="font-size:14px">990 ms</b>`; !strings.Contains(body, want) {
		t.Fatalf("page lacks %q:\n%s", want, body)
	}
}

// TestRecentRequestsOfEachDestination: each destination keeps its own last requests (a busy one
// pushes out none of another's), and the page lists them with a destination column.
func TestRecentRequestsOfEachDestination(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	m := setupMulti(t)
	rec := m.h.Recorder
	rec.Keep = 3
	send := func(dest, path string, n int) {
		c := &http.Client{Transport: rec.For(dest)}
		for range n {
			resp, err := c.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
	}
	send("genesys", "/api/v2/outbound/dnclists/x/phonenumbers", 1)
	send("cxone", "/dnc/add", 10)
	got := rec.Recent()
	per := map[string]int{}
	for i, e := range got {
		per[e.Destination]++
		if i > 0 && e.At.After(got[i-1].At) {
			t.Fatalf("not newest first: %+v", got)
		}
	}
	if per["cxone"] != 3 || per["genesys"] != 1 || got[len(got)-1].Destination != "genesys" {
		t.Fatalf("recent by destination %v: want cxone's last 3 and genesys's 1, %+v", per, got)
	}
	body := m.page(t, "")
	for _, want := range []string{"Recent requests to each destination", "<th>destination</th><th>request</th>",
		"<td>Genesys Cloud</td><td>GET /api/v2/outbound/dnclists/x/phonenumbers</td>", "<td>NICE CXone</td><td>GET /dnc/add</td>"} {
		if !strings.Contains(body, want) {
			t.Fatalf("page lacks %q:\n%s", want, body)
		}
	}
}

// TestLookupWithSeveralDestinations: the number's trail has a destination column, and its summary
// one line per destination.
func TestLookupWithSeveralDestinations(t *testing.T) {
	m := setupMulti(t)
	now := time.Now().Truncate(time.Millisecond)
	if _, err := m.store.Enqueue(context.Background(), []queue.Event{{Number: "+14155552671", Raw: "415 555 2671",
		Action: queue.Add, OccurredAt: now, ReceivedAt: now}}); err != nil {
		t.Fatal(err)
	}
	m.confirm(t, "cxone")
	m.confirm(t, "webhook")
	body := m.page(t, "?number=415-555-2671")
	for _, want := range []string{
		`<li id="lookup-cxone">NICE CXone: <b>synced</b>, confirmed add at`,
		`<li id="lookup-genesys">Genesys Cloud: <b>pending</b>`,
		`<li id="lookup-webhook">Signed webhook: <b>synced</b>, confirmed add at`,
		"<th>kind</th><th>destination</th>",
		"<td>confirmed</td><td>NICE CXone</td>", "<td>confirmed</td><td>Signed webhook</td>",
	} {
		if !strings.Contains(body, want) {
			t.Fatalf("lookup lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "CXone confirmed") {
		t.Fatalf("the summary names one destination's confirmation for the number:\n%s", body)
	}
}

// TestSamplerDrainByDestination: the drain is read per destination label, and summed.
func TestSamplerDrainByDestination(t *testing.T) {
	reg := prometheus.NewRegistry()
	pushed := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dncsync_pushed_items_total"}, []string{"outcome", "destination"})
	reg.MustRegister(pushed)
	pushed.WithLabelValues("synced", "cxone").Add(5)
	pushed.WithLabelValues("synced", "genesys").Add(2)
	pushed.WithLabelValues("failed", "genesys").Add(7)
	s := &Sampler{Gatherer: reg, Stats: func(context.Context) (queue.Stats, error) { return queue.Stats{}, nil }}
	s.SampleNow(context.Background(), time.Now())
	got := s.Samples()
	if len(got) != 1 || got[0].Synced != 7 || got[0].SyncedBy["cxone"] != 5 || got[0].SyncedBy["genesys"] != 2 || len(got[0].SyncedBy) != 2 {
		t.Fatalf("samples %+v: want 5 synced by cxone and 2 by genesys", got)
	}
}
