package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/destination/destinationtest"
	"github.com/dncsync/dncsync/internal/simfault"
	"github.com/dncsync/dncsync/internal/stdwebhook"
	"github.com/dncsync/dncsync/internal/webhook"
	"github.com/dncsync/dncsync/internal/webhook/webhooksim"
)

type bundle struct {
	sim    *webhooksim.Server
	url    string
	pacer  *destinationtest.Pacer
	client *webhook.Client
}

func setup(t *testing.T, cfg webhooksim.Config, change func(*webhook.Config)) *bundle {
	t.Helper()
	b := &bundle{sim: webhooksim.New(cfg), pacer: &destinationtest.Pacer{}}
	var stop func()
	b.url, stop = b.sim.Start()
	t.Cleanup(stop)
	c := webhook.Config{URL: b.url, Secret: b.sim.Config().Secrets, Pacer: b.pacer, Timeout: 2 * time.Second}
	if change != nil {
		change(&c)
	}
	var err error
	if b.client, err = webhook.New(c); err != nil {
		t.Fatal(err)
	}
	return b
}

func number(i int) string { return fmt.Sprintf("+1415555%04d", i) }

// contacts are numbers asked for now, as the pusher hands them over.
func contacts(numbers ...string) []destination.Contact {
	out := make([]destination.Contact, len(numbers))
	now := time.Now()
	for i, n := range numbers {
		out[i] = destination.Contact{Number: n, Reason: "opt_out", Source: "test", OccurredAt: now}
	}
	return out
}

func noErrors(t *testing.T, what string, errs []error) {
	t.Helper()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("%s: contact %d: %v", what, i, err)
		}
	}
}

func TestAddAndRemove(t *testing.T) {
	b := setup(t, webhooksim.Config{}, nil)
	ctx := context.Background()
	end := time.Date(2026, 9, 1, 10, 30, 15, 500, time.FixedZone("X", 3600))
	cs := contacts(number(1), number(2), "4155550003", number(1))
	cs[1].ExpiresAt = end
	cs[3].ExpiresAt = end // number(1) again; its other contact has no end
	errs := b.client.Add(ctx, cs)
	if errs[0] != nil || errs[1] != nil || errs[3] != nil || destination.KindOf(errs[2]) != destination.Permanent {
		t.Fatalf("results %v", errs)
	}
	wantEnd := time.Date(2026, 9, 1, 9, 30, 16, 0, time.UTC)
	if !cs[1].ExpiresAt.Equal(wantEnd) || !cs[0].ExpiresAt.IsZero() || !cs[3].ExpiresAt.IsZero() {
		t.Errorf("ExpiresAt %v %v %v; want the end rounded up to the second, and none for number 1", cs[1].ExpiresAt, cs[0].ExpiresAt, cs[3].ExpiresAt)
	}
	e, ok := b.sim.Entry(number(2))
	if !ok || !e.ExpiresAt.Equal(wantEnd) || e.Reason != "opt_out" || e.Source != "test" {
		t.Errorf("entry %+v", e)
	}
	noErrors(t, "remove", b.client.Remove(ctx, contacts(number(1), number(7))))
	if got := b.sim.List(); !slices.Equal(got, []string{number(2)}) {
		t.Errorf("list %v", got)
	}
	ds := b.sim.Deliveries()
	if len(ds) != 2 || ds[0].Type != webhook.TypeAdd || ds[1].Type != webhook.TypeRemove || ds[0].ID == ds[1].ID || !strings.HasPrefix(ds[0].ID, "msg_") {
		t.Errorf("deliveries %+v", ds)
	}
	if err := b.client.Ping(ctx); err != nil || b.sim.Stats().Pings != 1 {
		t.Errorf("ping: %v", err)
	}
	// Every paced request reported its answer, for the pace against a limit of one at a time.
	waits, answered := b.pacer.Counts()
	if waits == 0 || answered != waits {
		t.Errorf("%d requests paced, %d answers reported to the pacer", waits, answered)
	}
}

func TestResults(t *testing.T) {
	ctx := context.Background()
	bad := number(3)
	for _, always := range []bool{false, true} {
		b := setup(t, webhooksim.Config{Reject: func(n string) bool { return n == bad }, AlwaysResults: always}, nil)
		errs := b.client.Add(ctx, contacts(number(1), number(2), bad))
		if errs[0] != nil || errs[1] != nil || destination.KindOf(errs[2]) != destination.Refused || !destination.IsRecord(errs[2]) {
			t.Fatalf("always %v: %v", always, errs)
		}
	}
	// A receiver's own answers: retry and unknown statuses are never successes.
	srv := receiver(t, http.StatusOK, `{"results":[{"phoneNumber":"`+number(1)+`","status":"retry","error":"busy"},`+
		`{"phoneNumber":"`+number(2)+`","status":"maybe"},{"phoneNumber":"+19999999999","status":"rejected"}]}`)
	c := client(t, srv.URL, nil)
	errs := c.Add(ctx, contacts(number(1), number(2), number(3)))
	if destination.KindOf(errs[0]) != destination.Transient || destination.KindOf(errs[1]) != destination.Transient || errs[2] != nil {
		t.Fatalf("receiver's results: %v", errs)
	}
	// Any other 2xx body is ignored: the status confirms.
	for _, body := range []string{"OK", `{"status":"accepted"}`, ""} {
		if err := client(t, receiver(t, http.StatusAccepted, body).URL, nil).Add(ctx, contacts(number(1)))[0]; err != nil {
			t.Errorf("202 %q: %v", body, err)
		}
	}
}

func TestStatuses(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		status int
		want   destination.Kind
		text   string
	}{
		{http.StatusBadRequest, destination.Config, "refused the request"},
		{http.StatusUnprocessableEntity, destination.Config, "refused"},
		{http.StatusUnauthorized, destination.Config, "DNCSYNC_WEBHOOK_DEST_SECRET"},
		{http.StatusForbidden, destination.Config, "DNCSYNC_WEBHOOK_DEST_SECRET"},
		{http.StatusNotFound, destination.Config, "DNCSYNC_WEBHOOK_DEST_URL"},
		{http.StatusFound, destination.Config, "redirects"},
		{http.StatusRequestTimeout, destination.Transient, "failed"},
		{http.StatusServiceUnavailable, destination.Transient, "failed"},
	} {
		srv := receiver(t, tc.status, "no: +14155550001 refused")
		c := client(t, srv.URL, nil)
		cs := contacts(number(1), number(2))
		errs := c.Add(ctx, cs)
		for _, err := range errs {
			if destination.KindOf(err) != tc.want || !strings.Contains(err.Error(), tc.text) || strings.Contains(err.Error(), "4155550001") {
				t.Errorf("%d: %v, want %v mentioning %q and no number", tc.status, err, tc.want, tc.text)
			}
		}
	}
}

func TestFaults(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		ra   string
		want time.Duration
	}{{"with Retry-After", "3", 3 * time.Second}, {"without", "", 0}} {
		b := setup(t, webhooksim.Config{}, func(c *webhook.Config) { c.MaxBatch = 1 })
		b.sim.SetFaults(simfault.Faults{RateLimit429: 1, RetryAfter: tc.ra})
		for i, err := range b.client.Add(ctx, contacts(number(1), number(2))) {
			if destination.KindOf(err) != destination.RateLimited {
				t.Errorf("%s, contact %d: %v", tc.name, i, err)
			}
		}
		if got := b.pacer.Throttles(); !slices.Equal(got, []time.Duration{tc.want}) {
			t.Errorf("%s: pauses %v; want one, and the batch stopped", tc.name, got)
		}
	}

	b := setup(t, webhooksim.Config{}, nil)
	for _, f := range []simfault.Faults{{ServerError: 1}, {HTMLError: 1}} {
		b.sim.SetFaults(f)
		if err := b.client.Add(ctx, contacts(number(1)))[0]; destination.KindOf(err) != destination.Transient || len(err.Error()) > 250 {
			t.Errorf("%+v: %v", f, err)
		}
	}
	b.sim.SetFaults(simfault.Faults{LostAfterApply: 1})
	if err := b.client.Add(ctx, contacts(number(1)))[0]; destination.KindOf(err) != destination.Transient || !b.sim.Has(number(1)) {
		t.Fatalf("lost answer: %v", err)
	}
	b.sim.SetFaults(simfault.Faults{})
	noErrors(t, "retry converges", b.client.Add(ctx, contacts(number(1))))

	slow := setup(t, webhooksim.Config{}, func(c *webhook.Config) { c.Timeout = 50 * time.Millisecond })
	slow.sim.SetFaults(simfault.Faults{Slow: 1, SlowDelay: 5 * time.Second})
	if err := slow.client.Add(ctx, contacts(number(2)))[0]; destination.KindOf(err) != destination.Transient || slow.sim.Has(number(2)) {
		t.Fatalf("slow: %v", err)
	}

	// A receiver's rate limit: 429 with its own Retry-After.
	limited := setup(t, webhooksim.Config{RatePerMinute: 60, Burst: 1}, nil)
	noErrors(t, "first", limited.client.Add(ctx, contacts(number(1))))
	if err := limited.client.Add(ctx, contacts(number(2)))[0]; destination.KindOf(err) != destination.RateLimited {
		t.Fatalf("over the limit: %v", err)
	}
}

func TestTooLarge(t *testing.T) {
	b := setup(t, webhooksim.Config{MaxBatch: 3}, nil)
	var ns []string
	for i := range 10 {
		ns = append(ns, number(i))
	}
	noErrors(t, "add", b.client.Add(context.Background(), contacts(ns...)))
	if got := len(b.sim.List()); got != 10 || b.client.MaxBatch() > 3 {
		t.Fatalf("%d listed, batch size %d", got, b.client.MaxBatch())
	}
}

func TestSignatures(t *testing.T) {
	// Signed with the old and the new secret while rotating: a receiver with either accepts.
	oldS, newS := stdwebhook.NewSecret(), stdwebhook.NewSecret()
	for _, receiverSecret := range []string{oldS, newS} {
		b := setup(t, webhooksim.Config{Secrets: receiverSecret}, func(c *webhook.Config) { c.Secret = newS + " " + oldS })
		noErrors(t, "rotation", b.client.Add(context.Background(), contacts(number(1))))
	}
	wrong := setup(t, webhooksim.Config{}, func(c *webhook.Config) { c.Secret = stdwebhook.NewSecret() })
	err := wrong.client.Add(context.Background(), contacts(number(1)))[0]
	if destination.KindOf(err) != destination.Config || wrong.sim.Stats().BadSignatures != 1 {
		t.Fatalf("wrong secret: %v", err)
	}

	// The request as the package doc describes it, checked independently of webhooksim.
	var got struct {
		hdr  http.Header
		body []byte
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.hdr = r.Header.Clone()
		got.body, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	secret := stdwebhook.NewSecret()
	c := client(t, srv.URL, func(c *webhook.Config) { c.Secret = secret })
	cs := contacts(number(1))
	cs[0].ExpiresAt = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	cs[0].OccurredAt = time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.FixedZone("X", 3600))
	noErrors(t, "add", c.Add(context.Background(), cs))
	key, _ := stdwebhook.ParseSecret(secret)
	if err := (stdwebhook.Verifier{Secrets: [][]byte{key}}).Verify(got.hdr, got.body); err != nil {
		t.Fatalf("signature: %v", err)
	}
	var body map[string]any
	if json.Unmarshal(got.body, &body) != nil || body["type"] != "dnc.add" || got.hdr.Get("Content-Type") != "application/json" {
		t.Fatalf("body %s", got.body)
	}
	want := `"data":{"action":"add","numbers":[{"phoneNumber":"+14155550001","reason":"opt_out","source":"test","expiresAt":"2026-09-01T00:00:00Z","occurredAt":"2026-03-01T11:00:00.123Z"}]}`
	if !strings.Contains(string(got.body), `"timestamp":"2026-03-01T11:00:00.123Z"`) {
		t.Fatalf("body %s: the timestamp is not the event's time", got.body)
	}
	if !strings.Contains(string(got.body), want) {
		t.Fatalf("body %s, want %s", got.body, want)
	}
}

func TestNew(t *testing.T) {
	good := webhook.Config{URL: "https://crm.example.com/dnc", Secret: stdwebhook.NewSecret(), Pacer: &destinationtest.Pacer{}}
	if _, err := webhook.New(good); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		change func(*webhook.Config)
		want   string
	}{
		"no URL":        {func(c *webhook.Config) { c.URL = "" }, "DNCSYNC_WEBHOOK_DEST_URL"},
		"relative":      {func(c *webhook.Config) { c.URL = "/dnc" }, "DNCSYNC_WEBHOOK_DEST_URL"},
		"plain http":    {func(c *webhook.Config) { c.URL = "http://crm.example.com/dnc" }, "DNCSYNC_WEBHOOK_DEST_ALLOW_HTTP"},
		"no secret":     {func(c *webhook.Config) { c.Secret = "" }, "DNCSYNC_WEBHOOK_DEST_SECRET"},
		"short secret":  {func(c *webhook.Config) { c.Secret = "whsec_c2hvcnQ=" }, "DNCSYNC_WEBHOOK_DEST_SECRET"},
		"16 bytes":      {func(c *webhook.Config) { c.Secret = stdwebhook.FormatSecret(make([]byte, 16)) }, "24 to 64"},
		"65 bytes":      {func(c *webhook.Config) { c.Secret = stdwebhook.FormatSecret(make([]byte, 65)) }, "24 to 64"},
		"one of two":    {func(c *webhook.Config) { c.Secret += " " + stdwebhook.FormatSecret(make([]byte, 20)) }, "DNCSYNC_WEBHOOK_DEST_SECRET"},
		"secret format": {func(c *webhook.Config) { c.Secret = "hunter2!" }, "DNCSYNC_WEBHOOK_DEST_SECRET"},
	} {
		c := good
		tc.change(&c)
		_, err := webhook.New(c)
		if destination.KindOf(err) != destination.Config || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, u := range []string{"http://127.0.0.1:8080/dnc", "http://localhost/dnc", "http://[::1]:9/x"} {
		c := good
		c.URL = u
		if _, err := webhook.New(c); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	c := good
	c.URL, c.AllowHTTP = "http://crm.internal/dnc", true
	if _, err := webhook.New(c); err != nil {
		t.Errorf("allowed http: %v", err)
	}
}

// receiver answers every request with status and body.
func receiver(t *testing.T, status int, body string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if status/100 == 3 {
			w.Header().Set("Location", "https://elsewhere.example.com/")
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func client(t *testing.T, u string, change func(*webhook.Config)) *webhook.Client {
	cfg := webhook.Config{URL: u, Secret: webhooksim.DefaultSecret, Pacer: &destinationtest.Pacer{}, Timeout: 2 * time.Second}
	if change != nil {
		change(&cfg)
	}
	c, err := webhook.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A delivery sent again (its answer was lost) carries its webhook-id, so that a receiver that
// deduplicates applies it once; the same numbers in another order are the same delivery; anything
// else is another. The payload's timestamp is the newest event's time, not the sending time.
func TestStableDeliveryID(t *testing.T) {
	ctx := context.Background()
	b := setup(t, webhooksim.Config{}, nil)
	asked := time.Date(2026, 3, 1, 9, 0, 0, 250e6, time.UTC)
	cs := contacts(number(1), number(2), number(3))
	for i := range cs {
		cs[i].OccurredAt = asked.Add(time.Duration(i) * time.Minute)
	}
	b.sim.SetFaults(simfault.Faults{LostAfterApply: 1})
	if err := b.client.Add(ctx, cs)[0]; destination.KindOf(err) != destination.Transient {
		t.Fatalf("lost answer: %v", err)
	}
	b.sim.SetFaults(simfault.Faults{})
	again := []destination.Contact{cs[2], cs[0], cs[1]}
	noErrors(t, "the retry", b.client.Add(ctx, again))
	ds := b.sim.Deliveries()
	if st := b.sim.Stats(); len(ds) != 1 || st.Duplicates != 1 || st.IDReused != 0 {
		t.Fatalf("deliveries %+v, stats %+v: want one delivery, and the retry answered as a duplicate", ds, st)
	}
	if want := asked.Add(2 * time.Minute); !ds[0].Timestamp.Equal(want) {
		t.Errorf("timestamp %v, want the newest event's time %v", ds[0].Timestamp, want)
	}
	// A newer request for one of them is another delivery.
	cs[1].OccurredAt = asked.Add(time.Hour)
	noErrors(t, "newer", b.client.Add(ctx, cs))
	if ds = b.sim.Deliveries(); len(ds) != 2 || ds[1].ID == ds[0].ID || !strings.HasPrefix(ds[1].ID, "msg_") || len(ds[1].ID) != 36 {
		t.Fatalf("deliveries %+v: want a second one with its own id", ds)
	}
	if e, _ := b.sim.Entry(number(2)); !e.OccurredAt.Equal(asked.Add(time.Hour)) {
		t.Errorf("entry %+v: want the newer occurredAt", e)
	}
}
