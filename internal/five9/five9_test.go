package five9_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/destination/destinationtest"
	"github.com/dncsync/dncsync/internal/five9"
	"github.com/dncsync/dncsync/internal/five9/five9sim"
	"github.com/dncsync/dncsync/internal/five9/window"
	"github.com/dncsync/dncsync/internal/simfault"
)

// Pacific times of one winter day.
var (
	night = time.Date(2026, 1, 15, 23, 30, 0, 0, window.Pacific)
	noon  = time.Date(2026, 1, 15, 12, 0, 0, 0, window.Pacific)
)

type bundle struct {
	sim    *five9sim.Server
	client *five9.Client
	pacer  *destinationtest.Pacer
	cfg    five9.Config
}

// setup starts a simulator with its clock at simAt and a client of it whose clock reads
// clientAt (zero: the simulator's).
func setup(t *testing.T, sc five9sim.Config, simAt time.Time, edit func(*five9.Config)) *bundle {
	t.Helper()
	sim := five9sim.New(sc)
	sim.SetNow(simAt)
	u, _, stop := sim.Start()
	t.Cleanup(stop)
	pacer := &destinationtest.Pacer{}
	cfg := five9.Config{URL: u, User: sim.Config().User, Password: sim.Config().Password, Pacer: pacer,
		Timeout: 2 * time.Second, Clock: sim.Now}
	if edit != nil {
		edit(&cfg)
	}
	return &bundle{sim: sim, client: five9.New(cfg), pacer: pacer, cfg: cfg}
}

func contacts(numbers ...string) []destination.Contact {
	out := make([]destination.Contact, len(numbers))
	for i, n := range numbers {
		out[i] = destination.Contact{Number: n, Reason: "opt_out", Source: "test", ExpiresAt: time.Now().Add(time.Hour)}
	}
	return out
}

func allNil(t *testing.T, what string, errs []error) {
	t.Helper()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("%s: [%d] %v", what, i, err)
		}
	}
}

// Inside the window numbers are added as their 10 digits, found by a check, removed at any hour;
// an expiry, which Five9 does not keep, is cleared.
func TestAddCheckRemove(t *testing.T) {
	b := setup(t, five9sim.Config{}, night, nil)
	ctx := context.Background()
	cs := contacts("+14155552671", "+14155552672")
	allNil(t, "add", b.client.Add(ctx, cs))
	if got := b.sim.List(); len(got) != 2 || got[0] != "4155552671" || !cs[0].ExpiresAt.IsZero() {
		t.Fatalf("list %v, expiry %v: want both numbers as 10 digits and no expiry", got, cs[0].ExpiresAt)
	}
	l, err := b.client.Check(ctx, "+14155552671")
	if err != nil || !l.Listed || !strings.Contains(l.Text, "is on") {
		t.Fatalf("check: %+v %v", l, err)
	}
	b.sim.SetNow(noon) // removals have no hours
	allNil(t, "remove", b.client.Remove(ctx, contacts("+14155552671", "+14155550000")))
	if got := b.sim.List(); len(got) != 1 || got[0] != "4155552672" {
		t.Fatalf("after the removal: %v", got)
	}
	if l, err := b.client.Check(ctx, "+14155552671"); err != nil || l.Listed {
		t.Fatalf("check after the removal: %+v %v", l, err)
	}
}

// Outside the window the client holds additions without a request: each waits until 23:00 PT,
// spending no attempt. Its window closes 2 minutes early, and follows daylight saving time.
func TestWindow(t *testing.T) {
	b := setup(t, five9sim.Config{}, noon, nil)
	open, at := b.client.Window(time.Now())
	if open || !at.Equal(time.Date(2026, 1, 15, 23, 0, 0, 0, window.Pacific)) || destination.Opens(at) != "23:00 PT" {
		t.Fatalf("at noon: open %v, opens %s", open, at)
	}
	errs := b.client.Add(context.Background(), contacts("+14155552671"))
	if k := destination.KindOf(errs[0]); k != destination.RateLimited || !strings.Contains(errs[0].Error(), "opens 23:00 PT") {
		t.Fatalf("add at noon: %v (%s)", errs[0], k)
	}
	if st := b.sim.Stats(); st.Requests[five9sim.OpAdd] != nil || len(b.pacer.Throttles()) != 0 {
		t.Fatalf("an addition outside the window was sent (%v) or paused the pacer (%v)", st.Requests, b.pacer.Throttles())
	}
	for _, c := range []struct {
		at   time.Time
		open bool
	}{
		{time.Date(2026, 1, 16, 5, 57, 0, 0, window.Pacific), true},
		{time.Date(2026, 1, 16, 5, 58, 30, 0, window.Pacific), false}, // the margin
		{time.Date(2026, 7, 16, 5, 57, 0, 0, window.Pacific), true},   // PDT
		{time.Date(2026, 7, 16, 22, 59, 0, 0, window.Pacific), false},
	} {
		b.sim.SetNow(c.at)
		if open, _ := b.client.Window(time.Now()); open != c.open {
			t.Errorf("%s: open %v, want %v", c.at, open, c.open)
		}
	}
}

// Five9 refusing an addition for the hour (its clock ahead of ours) is the window's, not an
// outage nor the number's: it waits for tonight's window.
func TestFiveNineRefusesTheHour(t *testing.T) {
	b := setup(t, five9sim.Config{}, time.Date(2026, 1, 16, 6, 0, 30, 0, window.Pacific), func(c *five9.Config) {
		c.Clock = func() time.Time { return time.Date(2026, 1, 16, 5, 50, 0, 0, window.Pacific) }
	})
	errs := b.client.Add(context.Background(), contacts("+14155552671"))
	var e *destination.Error
	if !asError(errs[0], &e) || e.Kind != destination.RateLimited || e.RetryAfter < 17*time.Hour {
		t.Fatalf("refused for the hour: %v", errs[0])
	}
	if st := b.sim.Stats(); st.OutsideWindow != 1 || len(b.sim.List()) != 0 {
		t.Fatalf("the simulator did not refuse it: %+v", st)
	}
}

func asError(err error, e **destination.Error) bool {
	de, ok := err.(*destination.Error)
	*e = de
	return ok
}

// A number Five9's list cannot hold fails alone, dead-lettered; the others of the batch go.
func TestNonNANPNumberFailsAlone(t *testing.T) {
	b := setup(t, five9sim.Config{}, night, nil)
	errs := b.client.Add(context.Background(), contacts("+442071838750", "+14155552671"))
	if destination.KindOf(errs[0]) != destination.Permanent || errs[1] != nil {
		t.Fatalf("errs %v", errs)
	}
	if got := b.sim.List(); len(got) != 1 {
		t.Fatalf("list %v", got)
	}
}

// Wrong credentials and a user without the DNC permission are the deployment's, named.
func TestDeploymentErrors(t *testing.T) {
	ctx := context.Background()
	bad := setup(t, five9sim.Config{}, night, func(c *five9.Config) { c.Password = "wrong-password" })
	if err := bad.client.Login(ctx); destination.KindOf(err) != destination.Config || !strings.Contains(err.Error(), "FIVE9_PASSWORD") ||
		strings.Contains(err.Error(), "wrong-password") {
		t.Fatalf("bad password: %v", err)
	}
	denied := setup(t, five9sim.Config{DenyDNC: true}, night, nil)
	if err := denied.client.Login(ctx); err != nil {
		t.Fatalf("login of a user without DNC permission: %v", err)
	}
	errs := denied.client.Add(ctx, contacts("+14155552671", "+14155552672"))
	if destination.KindOf(errs[0]) != destination.Config || !strings.Contains(errs[0].Error(), "permission") || errs[1] == nil {
		t.Fatalf("no DNC permission: %v", errs)
	}
	down := setup(t, five9sim.Config{}, night, func(c *five9.Config) { c.URL = "http://127.0.0.1:1/wsadmin/v13/AdminWebService" })
	if err := down.client.Login(ctx); destination.KindOf(err) != destination.Transient {
		t.Fatalf("nobody listening: %v", err)
	}
}

// Faults: a 429 pauses the pacer without spending attempts; 5xx, an HTML gateway page, a timeout
// and a lost answer are transient; retried, the list converges.
func TestFaults(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		faults simfault.Faults
		kind   destination.Kind
	}{
		{"429", simfault.Faults{RateLimit429: 1, RetryAfter: "3"}, destination.RateLimited},
		{"5xx", simfault.Faults{ServerError: 1}, destination.Transient},
		{"html", simfault.Faults{HTMLError: 1}, destination.Transient},
		{"timeout", simfault.Faults{Slow: 1, SlowDelay: 5 * time.Second}, destination.Transient},
		{"lost", simfault.Faults{LostAfterApply: 1}, destination.Transient},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := setup(t, five9sim.Config{}, night, func(cfg *five9.Config) { cfg.Timeout = 300 * time.Millisecond })
			b.sim.SetFaults(c.faults)
			errs := b.client.Add(ctx, contacts("+14155552671"))
			if k := destination.KindOf(errs[0]); k != c.kind {
				t.Fatalf("%v (%s), want %s", errs[0], k, c.kind)
			}
			if c.kind == destination.RateLimited && (len(b.pacer.Throttles()) != 1 || b.pacer.Throttles()[0] != 3*time.Second) {
				t.Fatalf("429: pacer throttles %v, want one of 3s", b.pacer.Throttles())
			}
			b.sim.SetFaults(simfault.Faults{})
			allNil(t, "retry", b.client.Add(ctx, contacts("+14155552671")))
			if !b.sim.Has("4155552671") {
				t.Fatal("the retry did not converge")
			}
		})
	}
}

// A batch larger than MaxBatch goes in several requests.
func TestBatches(t *testing.T) {
	b := setup(t, five9sim.Config{}, night, func(c *five9.Config) { c.MaxBatch = 2 })
	allNil(t, "add", b.client.Add(context.Background(), contacts("+14155550001", "+14155550002", "+14155550003")))
	if st := b.sim.Stats(); st.Requests[five9sim.OpAdd][200] != 2 || st.Added != 3 {
		t.Fatalf("requests %v, added %d: want 2 requests adding 3", st.Requests, st.Added)
	}
}

// A number Five9 refuses fails alone, Refused for the pusher to judge: the request is halved until
// it is alone, and its batch mates are added.
func TestRefusedNumberIsIsolated(t *testing.T) {
	bad := "4155550003"
	b := setup(t, five9sim.Config{Refuse: func(n string) bool { return n == bad }}, night, nil)
	cs := contacts("+14155550001", "+14155550002", "+14155550003", "+14155550004", "+14155550005")
	errs := b.client.Add(context.Background(), cs)
	for i, err := range errs {
		if i == 2 {
			if destination.KindOf(err) != destination.Refused || !destination.IsRecord(err) {
				t.Fatalf("the refused number: %v", err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("[%d] %v: its batch mates must go", i, err)
		}
	}
	if got := b.sim.List(); len(got) != 4 {
		t.Fatalf("list %v", got)
	}
}

// Refusing everything, the client stops isolating numbers after destination.ProbeLimit alone:
// the rest is not sent, held as the deployment's.
func TestRefusingEverythingStopsProbing(t *testing.T) {
	b := setup(t, five9sim.Config{Refuse: func(string) bool { return true }}, night, nil)
	errs := b.client.Add(context.Background(), contacts("+14155550001", "+14155550002", "+14155550003", "+14155550004",
		"+14155550005", "+14155550006", "+14155550007", "+14155550008"))
	refused, unsent := 0, 0
	for _, err := range errs {
		switch destination.KindOf(err) {
		case destination.Refused:
			refused++
		case destination.Config:
			unsent++
		}
	}
	if refused != destination.ProbeLimit || unsent != len(errs)-refused {
		t.Fatalf("%d refused alone, %d unsent: %v", refused, unsent, errs)
	}
}
