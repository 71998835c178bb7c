package webhooksim_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/stdwebhook"
	"github.com/dncsync/dncsync/internal/webhook/webhooksim"
)

type env struct {
	t    *testing.T
	sim  *webhooksim.Server
	url  string
	key  []byte
	now  time.Time
	http *http.Client
}

func newEnv(t *testing.T) *env {
	e := &env{t: t, now: time.Unix(1_780_000_000, 0), http: &http.Client{Timeout: 5 * time.Second}}
	e.sim = webhooksim.New(webhooksim.Config{Now: func() time.Time { return e.now }})
	var stop func()
	e.url, stop = e.sim.Start()
	t.Cleanup(stop)
	e.key, _ = stdwebhook.ParseSecret(webhooksim.DefaultSecret)
	return e
}

// post sends body signed as id at ts (with key, unless nil).
func (e *env) post(id string, ts time.Time, body string, key []byte) (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != nil {
		stdwebhook.Sign(req.Header, id, ts, []byte(body), key)
	}
	resp, err := e.http.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const add = `{"type":"dnc.add","timestamp":"2026-06-01T00:00:00Z","data":{"action":"add","numbers":[{"phoneNumber":"+14155550001","reason":"opt_out","source":"web","expiresAt":"2026-09-01T00:00:00Z","occurredAt":"2026-06-01T00:00:00Z"}]}}`

func TestReceiver(t *testing.T) {
	e := newEnv(t)
	for name, tc := range map[string]struct {
		id   string
		ts   time.Time
		body string
		key  []byte
		want int
	}{
		"unsigned":           {"m1", e.now, add, nil, 401},
		"another secret":     {"m1", e.now, add, []byte("some other secret, sixteen+"), 401},
		"too old":            {"m1", e.now.Add(-6 * time.Minute), add, e.key, 401},
		"unknown key":        {"m1", e.now, strings.Replace(add, `"reason"`, `"why"`, 1), e.key, 400},
		"type and action":    {"m1", e.now, strings.Replace(add, `"action":"add"`, `"action":"remove"`, 1), e.key, 400},
		"expiry on a remove": {"m1", e.now, strings.ReplaceAll(add, "add", "remove"), e.key, 400},
		"twice in a request": {"m1", e.now, strings.Replace(add, `]}}`, `,{"phoneNumber":"+14155550001","occurredAt":"2026-06-01T00:00:00Z"}]}}`, 1), e.key, 400},
		"no occurredAt":      {"m1", e.now, strings.Replace(add, `,"occurredAt":"2026-06-01T00:00:00Z"`, ``, 1), e.key, 400},
		"the sending time":   {"m1", e.now, strings.Replace(add, `"timestamp":"2026-06-01T00:00:00Z"`, `"timestamp":"2026-06-02T08:00:00Z"`, 1), e.key, 400},
	} {
		if status, body := e.post(tc.id, tc.ts, tc.body, tc.key); status != tc.want {
			t.Errorf("%s: %d %s, want %d", name, status, body, tc.want)
		}
	}
	if len(e.sim.List()) != 0 || e.sim.Stats().BadSignatures != 3 {
		t.Fatalf("refused requests changed the list (%v) or went uncounted (%+v)", e.sim.List(), e.sim.Stats())
	}
	if status, _ := e.post("m2", e.now, add, e.key); status != 204 {
		t.Fatalf("add: %d", status)
	}
	got, ok := e.sim.Entry("+14155550001")
	if !ok || got.Source != "web" || !got.ExpiresAt.Equal(time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("entry %+v", got)
	}
	// The same webhook-id again is answered as before and not applied again.
	e.sim.Delete("+14155550001")
	if status, _ := e.post("m2", e.now, add, e.key); status != 204 || e.sim.Has("+14155550001") || e.sim.Stats().Duplicates != 1 {
		t.Fatalf("a repeated webhook-id: %d, listed %v", status, e.sim.Has("+14155550001"))
	}
	// A number it does not take is refused on its own.
	two := strings.Replace(add, `]}}`, `,{"phoneNumber":"14155550002","occurredAt":"2026-05-01T00:00:00Z"}]}}`, 1)
	if status, body := e.post("m3", e.now, two, e.key); status != 200 || !strings.Contains(body, `"status":"rejected"`) || !e.sim.Has("+14155550001") {
		t.Fatalf("one bad number: %d %s", status, body)
	}
	req, _ := http.NewRequest(http.MethodGet, strings.TrimSuffix(e.url, "/dnc")+"/sim/list", nil)
	resp, err := e.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != `{"numbers":["+14155550001"]}` {
		t.Fatalf("/sim/list %s", b)
	}
}

// A receiver's ordering and idempotency: an action older than the last one applied to its number
// changes nothing; a request that refused a number is processed again when it comes back; an id
// that comes back with another body is the sender's bug.
func TestReceiverOrderAndIdempotency(t *testing.T) {
	e := newEnv(t)
	at := func(action, when string) string {
		return `{"type":"dnc.` + action + `","timestamp":"` + when + `","data":{"action":"` + action +
			`","numbers":[{"phoneNumber":"+14155550001","occurredAt":"` + when + `"}]}}`
	}
	if status, _ := e.post("a1", e.now, at("add", "2026-06-01T10:00:00Z"), e.key); status != 204 || !e.sim.Has("+14155550001") {
		t.Fatalf("add: %d", status)
	}
	if status, _ := e.post("r1", e.now, at("remove", "2026-06-01T11:00:00Z"), e.key); status != 204 || e.sim.Has("+14155550001") {
		t.Fatalf("remove: %d", status)
	}
	// A retry of the older add, late, under a new id: answered as done, the newer remove stands.
	if status, _ := e.post("a2", e.now, at("add", "2026-06-01T10:00:00Z"), e.key); status != 204 || e.sim.Has("+14155550001") ||
		e.sim.Stats().Stale != 1 {
		t.Fatalf("a late add undid a newer remove: %d, listed %v, %+v", status, e.sim.Has("+14155550001"), e.sim.Stats())
	}
	if status, _ := e.post("a1", e.now, at("add", "2026-06-01T12:00:00Z"), e.key); status != 409 || e.sim.Stats().IDReused != 1 {
		t.Fatalf("an id reused for another body: %d", status)
	}
	e.sim.SetReject(func(string) bool { return true })
	newer := at("add", "2026-06-01T12:00:00Z")
	if status, body := e.post("a3", e.now, newer, e.key); status != 200 || !strings.Contains(body, "rejected") {
		t.Fatalf("rejected: %d %s", status, body)
	}
	e.sim.SetReject(nil)
	if status, _ := e.post("a3", e.now, newer, e.key); status != 204 || !e.sim.Has("+14155550001") || e.sim.Stats().Duplicates != 0 {
		t.Fatalf("a refused request sent again: %d, listed %v, %+v", status, e.sim.Has("+14155550001"), e.sim.Stats())
	}
	if status, _ := e.post("a3", e.now, newer, e.key); status != 204 || e.sim.Stats().Duplicates != 1 {
		t.Fatalf("an applied request sent again: %d, %+v", status, e.sim.Stats())
	}
}
