package gate

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

const secret = "gate-test-secret-0123456789"

func TestBearer(t *testing.T) {
	for _, tc := range []struct {
		header, want string
		ok           bool
	}{
		{"Bearer abc", "abc", true},
		{"bearer abc", "abc", true},
		{"BEARER abc", "abc", true},
		{"Bearer   abc", "abc", true},
		{"Bearer ", "", false},
		{"Bearer", "", false},
		{"Bearerabc", "", false},
		{"Basic abc", "", false},
		{"abc", "", false},
		{"", "", false},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if tc.header != "" {
			r.Header.Set("Authorization", tc.header)
		}
		got, ok := Bearer(r)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Bearer(%q) = %q, %v; want %q, %v", tc.header, got, ok, tc.want, tc.ok)
		}
	}
}

func TestMatch(t *testing.T) {
	if !Match(secret, secret) {
		t.Fatal("the secret does not match itself")
	}
	for _, got := range []string{"", secret[:len(secret)-1], secret + "x", strings.ToUpper(secret)} {
		if Match(got, secret) {
			t.Errorf("Match(%q) is true", got)
		}
	}
	if Match("", "") {
		t.Fatal("an empty secret matches an empty one: an unset secret would open the door")
	}
}

type testBundle struct {
	g   *Guard
	now time.Time
	log *bytes.Buffer
	reg *prometheus.Registry
}

func setup(t *testing.T, c Config) *testBundle {
	t.Helper()
	b := &testBundle{now: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC), log: &bytes.Buffer{}, reg: prometheus.NewRegistry()}
	c.Realm, c.Token = "admin", secret
	c.Logger = slog.New(slog.NewTextHandler(b.log, nil))
	c.Metrics = NewMetrics(b.reg)
	c.Now = func() time.Time { return b.now }
	b.g = New(c)
	return b
}

func from(addr string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/login", nil)
	r.RemoteAddr = addr
	return r
}

func (b *testBundle) try(t *testing.T, addr, tok string, want Verdict, wantRetry time.Duration) {
	t.Helper()
	res := b.g.Check(from(addr), tok)
	if res.Verdict != want || res.RetryAfter != wantRetry {
		t.Fatalf("attempt from %s: %+v, want verdict %d retry %s", addr, res, want, wantRetry)
	}
}

func TestBackoffAfterRepeatedFailures(t *testing.T) {
	b := setup(t, Config{})
	const client = "192.0.2.7:50000"
	for range FreeFailures - 1 {
		b.try(t, client, "wrong", Wrong, 0)
	}
	b.try(t, client, "wrong", Wrong, time.Second) // the fifth starts the back-off
	b.try(t, client, "wrong", Throttled, 2*time.Second)
	b.try(t, client, "wrong", Throttled, 4*time.Second)
	// Another client is not affected.
	b.try(t, "198.51.100.1:1", "wrong", Wrong, 0)
	// The right secret works at once, backed off or not, and ends the run.
	b.try(t, client, secret, OK, 0)
	b.try(t, client, "wrong", Wrong, 0)

	// A run continues after its back-off ends: the next failure is answered 401 and doubles it.
	for range FreeFailures - 2 {
		b.try(t, client, "wrong", Wrong, 0)
	}
	b.try(t, client, "wrong", Wrong, time.Second)
	b.now = b.now.Add(time.Second)
	b.try(t, client, "wrong", Wrong, 2*time.Second)
	// It ends at MaxBackoff.
	for range 20 {
		b.g.Check(from(client), "wrong")
	}
	b.try(t, client, "wrong", Throttled, MaxBackoff)
	// And is forgotten once the back-off and Forget have passed.
	b.now = b.now.Add(MaxBackoff + Forget)
	b.try(t, client, "wrong", Wrong, 0)

	if got := testutil.ToFloat64(b.g.m.Failures.WithLabelValues("admin")); got < 30 {
		t.Fatalf("dncsync_auth_failures_total = %v, want every failure counted", got)
	}
	if got := testutil.ToFloat64(b.g.m.Throttled.WithLabelValues("admin")); got != 23 {
		t.Fatalf("dncsync_auth_throttled_total = %v, want 23", got)
	}
}

func TestNoSecretNoDoor(t *testing.T) {
	g := New(Config{Realm: "admin"})
	r := from("192.0.2.7:1")
	r.Header.Set("Authorization", "Bearer ")
	if res := g.CheckBearer(r); res.Verdict != Disabled || res.Status() != http.StatusForbidden {
		t.Fatalf("no secret configured: %+v", res)
	}
	if res := g.Check(r, ""); res.Verdict != Disabled {
		t.Fatalf("empty attempt against no secret: %+v", res)
	}
}

func TestMissingIsNotAFailure(t *testing.T) {
	b := setup(t, Config{})
	for range 2 * FreeFailures {
		if res := b.g.CheckBearer(from("192.0.2.7:1")); res.Verdict != Missing || res.Status() != http.StatusUnauthorized {
			t.Fatalf("no Authorization header: %+v", res)
		}
	}
	if n := b.g.clients.len(); n != 0 {
		t.Fatalf("%d clients remembered after requests without a secret", n)
	}
}

// TestLogsAFloodBrieflyWithoutTheSecret: 500 wrong guesses make a handful of lines, none with what
// was sent, each with the client's address.
func TestLogsAFloodBrieflyWithoutTheSecret(t *testing.T) {
	b := setup(t, Config{})
	guess := "guess-" + strings.Repeat("x", 20)
	for range 500 {
		b.g.Check(from("192.0.2.7:4000"), guess)
	}
	lines := strings.Split(strings.TrimSpace(b.log.String()), "\n")
	if len(lines) < FreeFailures || len(lines) > FreeFailures+8 {
		t.Fatalf("%d log lines for 500 failures, want a few:\n%s", len(lines), b.log)
	}
	for _, l := range lines {
		if strings.Contains(l, "guess") || strings.Contains(l, secret) || !strings.Contains(l, "client=192.0.2.7") {
			t.Fatalf("log line %q: want the client, not the secret or the guess", l)
		}
	}
	if !strings.Contains(b.log.String(), "failures_in_a_row=256") {
		t.Fatalf("no line when the run reached 256:\n%s", b.log)
	}
}

// TestMemoryIsBounded: a flood from many addresses keeps at most MaxClients records (plus the
// shared one), and the clients past the bound are backed off together.
func TestMemoryIsBounded(t *testing.T) {
	b := setup(t, Config{MaxClients: 100})
	for i := range 10000 {
		b.g.Check(from(fmt.Sprintf("10.%d.%d.%d:1", i>>16&255, i>>8&255, i&255)), "wrong")
	}
	if n := b.g.clients.len(); n > 101 {
		t.Fatalf("%d clients remembered, want at most 101", n)
	}
	res := b.g.Check(from("203.0.113.9:1"), "wrong")
	if res.Verdict != Throttled {
		t.Fatalf("a new client past the bound: %+v, want the shared back-off", res)
	}
	if res := b.g.Check(from("203.0.113.9:1"), secret); res.Verdict != OK {
		t.Fatalf("the right secret past the bound: %+v", res)
	}
	// Once the records are stale, a sweep makes room again.
	b.now = b.now.Add(MaxBackoff + Forget + time.Second)
	b.try(t, "203.0.113.10:1", "wrong", Wrong, 0)
	if n := b.g.clients.len(); n != 1 {
		t.Fatalf("%d clients remembered after the sweep, want 1", n)
	}
}

func TestClientKey(t *testing.T) {
	for addr, want := range map[string]string{
		"192.0.2.7:1234":             "192.0.2.7",
		"[2001:db8:1:2:3:4:5:6]:443": "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:443": "2001:db8:1:2::/64",
		"[::ffff:192.0.2.7]:80":      "192.0.2.7",
		"not-an-address":             "not-an-address",
	} {
		if got := ClientKey(from(addr)); got != want {
			t.Errorf("ClientKey(%q) = %q, want %q", addr, got, want)
		}
	}
}

func TestResultHeaders(t *testing.T) {
	w := httptest.NewRecorder()
	Result{Verdict: Throttled, RetryAfter: 1500 * time.Millisecond}.Deny(w, `Bearer realm="x"`)
	if w.Header().Get("Retry-After") != "2" || w.Header().Get("WWW-Authenticate") != "" {
		t.Fatalf("throttled: %v", w.Header())
	}
	w = httptest.NewRecorder()
	Result{Verdict: Wrong}.Deny(w, `Bearer realm="x"`)
	if w.Header().Get("WWW-Authenticate") != `Bearer realm="x"` || w.Header().Get("Retry-After") != "" {
		t.Fatalf("wrong: %v", w.Header())
	}
}
