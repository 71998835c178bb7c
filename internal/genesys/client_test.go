package genesys_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/destination/destinationtest"
	"github.com/dncsync/dncsync/internal/genesys"
	"github.com/dncsync/dncsync/internal/genesys/genesyssim"
)

func TestLogin(t *testing.T) {
	b := setup(t, genesyssim.Config{}, nil)
	ctx := context.Background()
	for range 2 {
		if err := b.client.Login(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := b.requests(genesyssim.KindToken, 200); n != 1 {
		t.Fatalf("%d token requests for two logins, want 1 (the token is cached)", n)
	}
	if w, _ := b.pacer.Counts(); w != 0 {
		t.Errorf("login used %d pacer slots; the login host is not the API", w)
	}

	bad := setup(t, genesyssim.Config{}, func(c *genesys.Config) { c.ClientSecret = "wrong-secret-value" })
	err := bad.client.Login(ctx)
	if destination.KindOf(err) != destination.Config || !strings.Contains(err.Error(), "GENESYS_CLIENT_SECRET") ||
		strings.Contains(err.Error(), "wrong-secret-value") || !strings.Contains(err.Error(), "invalid_client") {
		t.Errorf("a wrong secret: %v", err)
	}
	// The API host is not a login host: a wrong GENESYS_LOGIN_URL is the deployment's.
	wrongHost := setup(t, genesyssim.Config{}, func(c *genesys.Config) { c.LoginURL = c.APIURL })
	if err := wrongHost.client.Login(ctx); destination.KindOf(err) != destination.Config || !strings.Contains(err.Error(), "GENESYS_LOGIN_URL") {
		t.Errorf("login at the API host: %v", err)
	}
	// Nothing listens: transient, naming the host but no secret.
	down := setup(t, genesyssim.Config{}, func(c *genesys.Config) { c.LoginURL = "http://127.0.0.1:1" })
	if err := down.client.Login(ctx); destination.KindOf(err) != destination.Transient || strings.Contains(err.Error(), down.cfg.ClientSecret) {
		t.Errorf("login host down: %v", err)
	}
}

func TestAddAndRemove(t *testing.T) {
	b := setup(t, genesyssim.Config{}, nil)
	ctx := context.Background()
	now := b.clock.Now()
	cs := contacts(number(1), number(2), number(3), number(4), "4155550199", number(1))
	cs[1].ExpiresAt = now.Add(10*24*time.Hour + 90*time.Second) // rounded up to the hour
	cs[2].ExpiresAt = now.Add(200 * 24 * time.Hour)             // beyond what the API takes: none
	cs[3].ExpiresAt = now.Add(10*24*time.Hour + 30*time.Minute) // shares the hour with cs[1]
	cs[5].ExpiresAt = now.Add(24 * time.Hour)                   // number(1) again; its other contact has none

	errs := b.client.Add(ctx, cs)
	if got := kinds(errs); got[0] != -1 || got[1] != -1 || got[2] != -1 || got[3] != -1 || got[4] != destination.Permanent || got[5] != -1 {
		t.Fatalf("results %v: want all confirmed but the number without +", errs)
	}
	tenDays := time.Date(2026, 3, 11, 13, 0, 0, 0, time.UTC)
	for i, want := range []time.Time{{}, tenDays, {}, tenDays, {}, {}} {
		if !cs[i].ExpiresAt.Equal(want) {
			t.Errorf("contact %d: ExpiresAt %v, want %v (the expiry sent)", i, cs[i].ExpiresAt, want)
		}
	}
	if n := b.requests(genesyssim.KindPatch, 204); n != 2 {
		t.Errorf("%d requests, want 2: one per expiry", n)
	}
	for i, want := range []time.Time{{}, tenDays, {}, tenDays} {
		e, ok := b.sim.Entry(number(i + 1))
		if !ok || !e.ExpiresAt.Equal(want) {
			t.Errorf("%s on the list: %+v %v, want expiry %v", number(i+1), e, ok, want)
		}
	}

	// Adding again replaces the expiry; removing takes numbers off, absent ones included.
	noErrors(t, "add again", b.client.Add(ctx, contacts(number(2))))
	if e, _ := b.sim.Entry(number(2)); !e.ExpiresAt.IsZero() {
		t.Errorf("re-added without an expiry, the entry keeps %v", e.ExpiresAt)
	}
	noErrors(t, "remove", b.client.Remove(ctx, contacts(number(1), number(2), number(99))))
	if got := b.sim.List(); len(got) != 2 || got[0] != number(3) || got[1] != number(4) {
		t.Errorf("list after remove %v", got)
	}
	if st := b.sim.Stats(); st.Removed != 2 || st.Added != 4 {
		t.Errorf("stats %+v", st)
	}
	// Every paced request reported its answer, for the pace against a limit of one at a time.
	waits, answered := b.pacer.Counts()
	if waits == 0 || answered != waits {
		t.Errorf("%d requests paced, %d answers reported to the pacer", waits, answered)
	}
}

func TestLongExpiryClamp(t *testing.T) {
	b := setup(t, genesyssim.Config{}, func(c *genesys.Config) { c.LongExpiry = genesys.LongExpiryClamp })
	cs := contacts(number(1))
	cs[0].ExpiresAt = b.clock.Now().AddDate(1, 0, 0)
	noErrors(t, "add", b.client.Add(context.Background(), cs))
	want := b.clock.Now().Add(genesys.MaxExpiry - time.Hour).Truncate(time.Minute)
	e, _ := b.sim.Entry(number(1))
	if !cs[0].ExpiresAt.Equal(want) || !e.ExpiresAt.Equal(want) {
		t.Fatalf("clamped to %v, on the list %v; want %v", cs[0].ExpiresAt, e.ExpiresAt, want)
	}
}

func TestBatchSizes(t *testing.T) {
	var ns []string
	for i := range 25 {
		ns = append(ns, number(i))
	}
	// The client splits by its own limit.
	b := setup(t, genesyssim.Config{}, func(c *genesys.Config) { c.MaxBatch = 10 })
	noErrors(t, "add", b.client.Add(context.Background(), contacts(ns...)))
	if n := b.requests(genesyssim.KindPatch, 204); n != 3 {
		t.Errorf("%d requests for 25 numbers at 10 a request, want 3", n)
	}

	// The API refuses a size the client did not know: halves, and remembers.
	small := setup(t, genesyssim.Config{MaxBatch: 7}, nil)
	noErrors(t, "add", small.client.Add(context.Background(), contacts(ns...)))
	if got := len(small.sim.List()); got != 25 {
		t.Fatalf("%d numbers listed, want 25", got)
	}
	learned := small.client.Endpoints().MaxBatch
	if learned > 7 || learned < 4 {
		t.Fatalf("learned a batch size of %d; the API takes 7", learned)
	}
	before := small.requests(genesyssim.KindPatch, 400)
	noErrors(t, "remove", small.client.Remove(context.Background(), contacts(ns...)))
	if small.requests(genesyssim.KindPatch, 400) != before {
		t.Error("a size learned once was refused again")
	}
}

func TestOneRefusedNumber(t *testing.T) {
	bad := number(5)
	b := setup(t, genesyssim.Config{Refuse: func(n string) bool { return n == bad }}, nil)
	var ns []string
	for i := range 8 {
		ns = append(ns, number(i))
	}
	errs := b.client.Add(context.Background(), contacts(ns...))
	for i, err := range errs {
		switch {
		case i == 5 && (destination.KindOf(err) != destination.Refused || !destination.IsRecord(err)):
			t.Errorf("the refused number: %v, want a Refused record error (the pusher decides whose fault it is)", err)
		case i == 5 && strings.Contains(err.Error(), "4155550005"):
			t.Errorf("the error quotes the number: %v", err)
		case i != 5 && err != nil:
			t.Errorf("contact %d failed with the refused one: %v", i, err)
		}
	}
	if got := len(b.sim.List()); got != 7 {
		t.Errorf("%d listed, want 7", got)
	}
	if n := b.client.Endpoints().MaxBatch; n != genesys.DefaultMaxBatch {
		t.Errorf("a bad number lowered the batch size to %d", n)
	}

	// Every number refused: after destination.ProbeLimit numbers refused alone with none accepted,
	// the rest of the batch is not sent (Config: it waits without spending attempts).
	all := setup(t, genesyssim.Config{Refuse: func(string) bool { return true }}, nil)
	got := kinds(all.client.Add(context.Background(), contacts(ns[:4]...)))
	want := []destination.Kind{destination.Refused, destination.Refused, destination.Refused, destination.Config}
	if !slices.Equal(got, want) {
		t.Errorf("all refused: %v, want %v", got, want)
	}
	if n := all.sim.Stats().Requests[genesyssim.KindPatch][400]; n > 6 {
		t.Errorf("%d requests to blame the request; the search should stop early", n)
	}

	// One number a batch, as at low traffic: the client never blames the number itself, however
	// many calls were refused or accepted before (that is the pusher's Attribution).
	one := setup(t, genesyssim.Config{Refuse: func(n string) bool { return n != number(50) }}, nil)
	got = nil
	for i := range 4 {
		got = append(got, destination.KindOf(one.client.Add(context.Background(), contacts(number(i)))[0]))
	}
	noErrors(t, "an accepted one", one.client.Add(context.Background(), contacts(number(50))))
	got = append(got, destination.KindOf(one.client.Add(context.Background(), contacts(number(60)))[0]))
	if want := slices.Repeat([]destination.Kind{destination.Refused}, 5); !slices.Equal(got, want) {
		t.Errorf("refusals one at a time: %v, want %v", got, want)
	}
}

func TestListProblems(t *testing.T) {
	ctx := context.Background()
	for name, tc := range map[string]struct {
		change func(*genesys.Config)
		want   string
	}{
		"not internal": {func(c *genesys.Config) { c.DNCListID = "dnccom-list" }, "internal"},
		"unknown list": {func(c *genesys.Config) { c.DNCListID = "no-such-list" }, "GENESYS_DNC_LIST_ID"},
		"no list":      {func(c *genesys.Config) { c.DNCListID = "" }, "GENESYS_DNC_LIST_ID"},
	} {
		c := setup(t, genesyssim.Config{}, tc.change)
		c.sim.AddList(genesyssim.ListInfo{ID: "dnccom-list", Name: "dnc.com", SourceType: genesyssim.SourceDNCCom, ContactMethod: "Phone"})
		// Two expiries, two requests planned: a deployment's fault stops the second.
		cs := contacts(number(1), number(2))
		cs[1].ExpiresAt = c.clock.Now().Add(time.Hour)
		for i, err := range c.client.Add(ctx, cs) {
			if destination.KindOf(err) != destination.Config || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s, contact %d: %v, want Config naming %s", name, i, err, tc.want)
			}
		}
		if n := c.sim.Stats().Requests[genesyssim.KindPatch]; n[400]+n[404] > 1 {
			t.Errorf("%s: %v requests; the first refusal should stop the batch", name, n)
		}
	}

	full := setup(t, genesyssim.Config{MaxListSize: 2}, nil)
	noErrors(t, "fill", full.client.Add(ctx, contacts(number(1), number(2))))
	if err := full.client.Add(ctx, contacts(number(3)))[0]; destination.KindOf(err) != destination.Config || !strings.Contains(err.Error(), "full") {
		t.Errorf("a full list: %v", err)
	}
}

func TestChecks(t *testing.T) {
	ctx := context.Background()
	b := setup(t, genesyssim.Config{}, nil)
	b.sim.Seed(number(1), number(2))
	k := b.client.Checks(ctx)
	if !k.OK() || k.List.Size != 2 || !k.List.Internal() || k.List.Name == "" || k.List.ContactMethod != "Phone" ||
		k.List.ImportState != "SUCCEEDED" || k.List.Division != "Home" || k.Endpoints.APIURL != b.hosts.API {
		t.Fatalf("checks of a good setup: %+v", k)
	}

	other := setup(t, genesyssim.Config{}, func(c *genesys.Config) { c.DNCListID = "mail-list" })
	other.sim.AddList(genesyssim.ListInfo{ID: "mail-list", Name: "mail", SourceType: genesyssim.SourceCustom, ContactMethod: "Email"})
	if k := other.client.Checks(ctx); k.OK() || len(k.Problems) != 2 {
		t.Errorf("an e-mail custom list: %+v", k)
	}
	missing := setup(t, genesyssim.Config{}, func(c *genesys.Config) { c.DNCListID = "nope" })
	if k := missing.client.Checks(ctx); k.OK() || k.Login != nil || destination.KindOf(k.ListErr) != destination.Config {
		t.Errorf("an unknown list: %+v", k)
	}
	badLogin := setup(t, genesyssim.Config{}, func(c *genesys.Config) { c.ClientID = "someone-else" })
	if k := badLogin.client.Checks(ctx); k.OK() || k.Login == nil || k.ListErr == nil {
		t.Errorf("a wrong client: %+v", k)
	}
}

func TestValidate(t *testing.T) {
	ok := genesys.Config{ClientID: "id", ClientSecret: "secret", DNCListID: "list", Pacer: &destinationtest.Pacer{}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		change func(*genesys.Config)
		want   string
	}{
		"no client":   {func(c *genesys.Config) { c.ClientID = "" }, "GENESYS_CLIENT_ID"},
		"no secret":   {func(c *genesys.Config) { c.ClientSecret = " " }, "GENESYS_CLIENT_SECRET"},
		"no list":     {func(c *genesys.Config) { c.DNCListID = "" }, "GENESYS_DNC_LIST_ID"},
		"bad region":  {func(c *genesys.Config) { c.Region = "moon-1" }, "GENESYS_REGION"},
		"bad api url": {func(c *genesys.Config) { c.APIURL = "api.example.com" }, "GENESYS_API_URL"},
		"bad policy":  {func(c *genesys.Config) { c.LongExpiry = "forever" }, "GENESYS_LONG_EXPIRY"},
	} {
		c := ok
		tc.change(&c)
		err := c.Validate()
		var e *destination.Error
		if !errors.As(err, &e) || e.Kind != destination.Config || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "genesys ") {
			t.Errorf("%s: %v, want a Config error naming %s", name, err, tc.want)
		}
	}
}

// A write the server redirects is refused: net/http would resend it as a GET, whose 2xx must not
// confirm numbers.
func TestRedirectedWrite(t *testing.T) {
	b := setup(t, genesyssim.Config{}, nil)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, b.hosts.API+"/sim/list", http.StatusFound)
	}))
	t.Cleanup(redirector.Close)
	c := setup(t, genesyssim.Config{}, func(c *genesys.Config) { c.APIURL = redirector.URL })
	err := c.client.Add(context.Background(), contacts(number(1)))[0]
	if destination.KindOf(err) != destination.Config || !strings.Contains(err.Error(), "redirect") {
		t.Fatalf("a redirected PATCH: %v", err)
	}
}
