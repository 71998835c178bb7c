package console

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dncsync/dncsync/internal/gate"
	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/boltq"
)

const token = "console-test-token-0123456789"

type bundle struct {
	store *boltq.Store
	srv   *httptest.Server
	h     *Handler
}

func setup(t *testing.T) *bundle {
	t.Helper()
	s, err := boltq.Open(filepath.Join(t.TempDir(), "q.db"), boltq.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	h := &Handler{Store: s, Admin: gate.New(gate.Config{Realm: "admin", Token: token}), Sessions: s,
		DefaultRegion: "US", Recorder: &Recorder{}}
	mux := http.NewServeMux()
	h.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &bundle{store: s, srv: srv, h: h}
}

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func get(t *testing.T, c *http.Client, u string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestLoginCookieAndBearer(t *testing.T) {
	b := setup(t)
	resp, _ := get(t, noRedirect, b.srv.URL+"/")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("unauthenticated page: %d to %q, want a redirect to the login form", resp.StatusCode, resp.Header.Get("Location"))
	}
	// A wrong token is refused and sets no cookie.
	resp, err := noRedirect.PostForm(b.srv.URL+"/login", url.Values{"token": {"wrong-token-wrong-token"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || len(resp.Cookies()) != 0 {
		t.Fatalf("wrong token: %d with cookies %v", resp.StatusCode, resp.Cookies())
	}
	resp, err = noRedirect.PostForm(b.srv.URL+"/login", url.Values{"token": {token}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cookies := resp.Cookies()
	if resp.StatusCode != http.StatusSeeOther || len(cookies) != 1 || !cookies[0].HttpOnly ||
		cookies[0].SameSite != http.SameSiteStrictMode || strings.Contains(cookies[0].Value, token) {
		t.Fatalf("login: %d cookies %+v", resp.StatusCode, cookies)
	}
	resp, body := get(t, noRedirect, b.srv.URL+"/", "Cookie", cookies[0].Name+"="+cookies[0].Value)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="queue"`) {
		t.Fatalf("page with the cookie: %d", resp.StatusCode)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Fatalf("page CSP %q", csp)
	}
	if resp, _ := get(t, noRedirect, b.srv.URL+"/", "Authorization", "Bearer "+token); resp.StatusCode != http.StatusOK {
		t.Fatalf("page with the bearer token: %d", resp.StatusCode)
	}
	if resp, _ := get(t, noRedirect, b.srv.URL+"/", "Cookie", cookieName+"=forged"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("page with a forged cookie: %d", resp.StatusCode)
	}
}

func TestDisabledWithoutToken(t *testing.T) {
	b := setup(t)
	b.h.Admin = gate.New(gate.Config{Realm: "admin"})
	resp, body := get(t, noRedirect, b.srv.URL+"/", "Authorization", "Bearer ")
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "DNCSYNC_ADMIN_TOKEN") {
		t.Fatalf("page without an admin token: %d\n%s", resp.StatusCode, body)
	}
}

func TestPageShowsQueueClockDeadAndLookup(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	old := time.Now().Add(-8 * 24 * time.Hour).Truncate(time.Millisecond)
	evs := []queue.Event{
		{Number: "+14155552671", Raw: "(415) 555-2671", Action: queue.Add, Source: "web", OccurredAt: old, ReceivedAt: old},
		{Number: "+14155552672", Raw: "415 555 2672", Action: queue.Add, OccurredAt: old, ReceivedAt: old.Add(time.Second)},
	}
	if _, err := b.store.Enqueue(ctx, evs); err != nil {
		t.Fatal(err)
	}
	items, _ := b.store.Claim(ctx, 1, time.Minute)
	if err := b.store.DeadLetter(ctx, items[0], "cxone add: invalid <phone> number"); err != nil {
		t.Fatal(err)
	}
	_, body := get(t, http.DefaultClient, b.srv.URL+"/?number=415-555-2671", "Authorization", "Bearer "+token)
	for _, want := range []string{
		`id="depth">depth<b>1</b>`,
		`class="late">1</b>`,                      // one dead letter
		"cxone add: invalid &lt;phone&gt; number", // escaped
		`id="lookup-state">dead</b>`,
		"of 10 business days",
		"by " + queue.DueBy(old).Format("2006-01-02 15:04:05 UTC"), // the store's rule, holidays and all
	} {
		if !strings.Contains(body, want) {
			t.Fatalf("page lacks %q:\n%s", want, body)
		}
	}
	if _, body := get(t, http.DefaultClient, b.srv.URL+"/?number=4155550000", "Authorization", "Bearer "+token); !strings.Contains(body, "Never seen.") {
		t.Fatal("a number never seen is not said to be so")
	}
}

func TestChartFromSamples(t *testing.T) {
	title := func(name string) string { return titles[name] }
	if html, note := chart(nil, nil, title); html != "" || !strings.Contains(note, "Collecting…") {
		t.Fatal("no samples should give a note, not a chart")
	}
	t0 := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	var ss []Sample
	for i := range 5 {
		ss = append(ss, Sample{At: t0.Add(time.Duration(i) * 30 * time.Second), Depth: int64(100 - 10*i),
			Accepted: float64(60 * i), SyncedBy: map[string]float64{"cxone": float64(80 * i), "genesys": float64(40 * i)}})
	}
	html, _ := chart(ss, nil, title)
	s := string(html)
	for _, want := range []string{`id="queue-depth"`, `id="rates"`, `data-series="depth"`, `data-series="intake"`,
		`data-series="drain to NICE CXone"`, `data-series="drain to Genesys Cloud"`,
		// Legends with colour keys, values with units.
		`<span class="key" style="background:#1b7d3e"></span>intake: 120/min on average`,
		`<span class="key" style="background:#2f6fde"></span>drain to NICE CXone: 160/min on average`,
		`drain to Genesys Cloud: 80/min on average`, `depth: 60 now`,
		// The time axis: a span with its unit, and the time of the last sample.
		`data-axis="start">−2 min</text>`, "−1 min</text>", `data-axis="end">10:02:00 UTC</text>`, "200/min</text>"} {
		if !strings.Contains(s, want) {
			t.Fatalf("chart lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "NaN") || strings.Contains(s, "Inf") {
		t.Fatalf("chart has NaN or Inf:\n%s", s)
	}
	// Two samples give the depth, but no rate: one interval is not scaled up to a minute.
	html, _ = chart(ss[:2], nil, title)
	if s := string(html); !strings.Contains(s, `id="queue-depth"`) || strings.Contains(s, `id="rates"`) ||
		!strings.Contains(s, `id="rates-collecting"`) || !strings.Contains(s, "collecting…") ||
		!strings.Contains(s, `data-axis="start">−30 s</text>`) {
		t.Fatalf("two samples: want the depth and the rates collecting:\n%s", s)
	}
	// A span of minutes reads in minutes, and one destination's drain is just "drain".
	ss = []Sample{{At: t0, SyncedBy: map[string]float64{"": 0}}, {At: t0.Add(6 * time.Minute), SyncedBy: map[string]float64{"": 30}},
		{At: t0.Add(12 * time.Minute), SyncedBy: map[string]float64{"": 60}}}
	html, _ = chart(ss, nil, title)
	if s := string(html); !strings.Contains(s, `data-axis="start">−12 min</text>`) || !strings.Contains(s, "−6 min</text>") ||
		!strings.Contains(s, "</span>drain: 5/min on average") {
		t.Fatalf("a 12-minute chart:\n%s", s)
	}
	// The destinations named each have a drain, whether they confirmed anything or not.
	html, _ = chart(ss, []string{"cxone", "genesys"}, title)
	if s := string(html); !strings.Contains(s, "drain to NICE CXone: 0/min on average") || !strings.Contains(s, "drain to Genesys Cloud: 0/min") {
		t.Fatalf("a chart of named destinations:\n%s", s)
	}
}

func TestSamplerKeepsAnHourFromTheRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	accepted := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dncsync_webhooks_total"}, []string{"result"})
	reg.MustRegister(accepted)
	depth := int64(0)
	s := &Sampler{Gatherer: reg, Stats: func(context.Context) (queue.Stats, error) {
		if depth < 0 {
			return queue.Stats{}, errors.New("down")
		}
		return queue.Stats{Ready: depth}, nil
	}}
	t0 := time.Now()
	for i := range 130 {
		depth = int64(i)
		accepted.WithLabelValues("accepted").Add(2)
		accepted.WithLabelValues("rejected").Add(1)
		s.SampleNow(context.Background(), t0.Add(time.Duration(i)*30*time.Second))
	}
	depth = -1
	s.SampleNow(context.Background(), t0.Add(131*30*time.Second)) // the store is down: a gap
	got := s.Samples()
	if len(got) != 121 || got[0].Depth != 9 || got[120].Depth != 129 || got[120].Accepted != 260 {
		t.Fatalf("%d samples, first %+v last %+v; want the last hour (121), accepted only", len(got), got[0], got[len(got)-1])
	}
}

func TestRecorderKeepsTheLastRequests(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/fail") {
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}))
	defer srv.Close()
	rec := &Recorder{Keep: 3}
	c := &http.Client{Transport: rec}
	for _, p := range []string{"/a", "/b", "/c", "/fail?phoneNumber=4155552671"} {
		resp, err := c.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	got := rec.Recent()
	if len(got) != 3 || got[0].Path != "/fail" || got[0].Status != 429 || got[2].Path != "/b" {
		t.Fatalf("recent %+v", got)
	}
}
