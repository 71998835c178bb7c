package cxone_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/cxone"
	"github.com/dncsync/dncsync/internal/cxone/cxonesim"
)

// simPacer lets every request through at once and records 429 reports: the pusher's real pacer
// is tested on its own.
type simPacer struct {
	mu        sync.Mutex
	waits     int
	throttled []time.Duration
}

func (p *simPacer) Wait(ctx context.Context) error {
	p.mu.Lock()
	p.waits++
	p.mu.Unlock()
	return ctx.Err()
}

func (p *simPacer) Throttled(_ context.Context, d time.Duration) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.throttled = append(p.throttled, d)
	return max(d, time.Millisecond)
}

func (p *simPacer) OK(context.Context) {}

func (p *simPacer) snapshot() (int, []time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.waits, slices.Clone(p.throttled)
}

// startAdminSim serves a simulated tenant on its three hosts: login, discovery, API.
func startAdminSim(t *testing.T, cfg cxonesim.Config) (*cxonesim.Server, cxonesim.Hosts) {
	t.Helper()
	sim := cxonesim.New(cfg)
	h, stop := sim.StartHosts()
	t.Cleanup(stop)
	return sim, h
}

// simAdmin is a client of sim with its access key and group, logging in and discovering on the
// tenant's hosts as a real deployment would (the API host comes from discovery); change may alter
// the config.
func simAdmin(sim *cxonesim.Server, h cxonesim.Hosts, change func(*cxone.AdminConfig)) (*cxone.Admin, *simPacer) {
	c := sim.Config()
	p := &simPacer{}
	cfg := cxone.AdminConfig{AuthURL: h.Login, DiscoveryURL: h.Discovery, AccessKeyID: c.AccessKeyID,
		AccessKeySecret: c.AccessKeySecret, GroupID: c.DNCGroupID, Pacer: p, Timeout: 2 * time.Second}
	if change != nil {
		change(&cfg)
	}
	return cxone.NewAdmin(cfg), p
}

func requests(sim *cxonesim.Server, kind string, status int) int {
	return sim.Stats().Requests[kind][status]
}

func TestAdminSimLogin(t *testing.T) {
	sim, u := startAdminSim(t, cxonesim.Config{})
	ctx := context.Background()

	a, p := simAdmin(sim, u, nil)
	for range 2 {
		if err := a.Login(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if d, err := a.Discover(ctx); err != nil || d.APIBase != u.API || d.Tenant != sim.Config().TenantID || d.Via != u.Discovery {
		t.Errorf("discovery %+v, %v; want the API host %s for the tenant, via %s", d, err, u.API, u.Discovery)
	}
	if n := requests(sim, cxonesim.KindAdminToken, 200); n != 1 {
		t.Errorf("%d access-key logins, want 1", n)
	}
	if n := requests(sim, cxonesim.KindAdminDiscovery, 200); n != 1 {
		t.Errorf("%d discoveries, want 1", n)
	}
	if w, _ := p.snapshot(); w != 0 {
		t.Errorf("login used %d pacer slots", w)
	}

	c := sim.Config()
	app, _ := simAdmin(sim, u, func(cfg *cxone.AdminConfig) {
		cfg.ClientID, cfg.ClientSecret = c.AppClientID, c.AppClientSecret
	})
	if err := app.Login(ctx); err != nil {
		t.Fatal(err)
	}
	if requests(sim, cxonesim.KindAdminOpenID, 200) != 1 || requests(sim, cxonesim.KindAdminPasswordToken, 200) != 1 {
		t.Errorf("app mode: %v", sim.Stats().Requests)
	}

	// An application registered with client_secret_post logs in only when told so.
	post, hp := startAdminSim(t, cxonesim.Config{AppAuthMethod: cxone.ClientSecretPost})
	pc := post.Config()
	for method, ok := range map[string]bool{cxone.ClientSecretPost: true, cxone.ClientSecretBasic: false} {
		a, _ := simAdmin(post, hp, func(cfg *cxone.AdminConfig) {
			cfg.ClientID, cfg.ClientSecret, cfg.ClientAuthMethod = pc.AppClientID, pc.AppClientSecret, method
		})
		if err := a.Login(ctx); (err == nil) != ok || (err != nil && !strings.Contains(err.Error(), "CXONE_CLIENT_AUTH_METHOD")) {
			t.Errorf("%s: %v", method, err)
		}
	}

	for name, change := range map[string]func(*cxone.AdminConfig){
		"access key": func(cfg *cxone.AdminConfig) { cfg.AccessKeySecret = "wrong" },
		"app":        func(cfg *cxone.AdminConfig) { cfg.ClientID, cfg.ClientSecret = c.AppClientID, "wrong" },
	} {
		bad, _ := simAdmin(sim, u, change)
		err := bad.Login(ctx)
		if cxone.KindOf(err) != cxone.Config || !strings.Contains(err.Error(), "CXONE_ACCESS_KEY_SECRET") ||
			strings.Contains(err.Error(), "wrong") {
			t.Errorf("%s: bad credentials gave %v", name, err)
		}
	}
}

func TestAdminSimRecords(t *testing.T) {
	for _, lenient := range []bool{false, true} {
		t.Run(fmt.Sprintf("lenient %v", lenient), func(t *testing.T) { testSimRecords(t, lenient) })
	}
}

// testSimRecords adds, lists, searches and removes through the simulator: in the spec's shapes
// (results without phoneNumber, no totalRecords, 204 for nothing found), or leniently.
func testSimRecords(t *testing.T, lenient bool) {
	sim, u := startAdminSim(t, cxonesim.Config{Lenient: lenient})
	ctx := context.Background()
	a, _ := simAdmin(sim, u, func(cfg *cxone.AdminConfig) { cfg.ExpiresAfter = 24 * time.Hour })
	own := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	before := time.Now()
	errs := a.Add(ctx, []cxone.Contact{
		{Number: "+14155552671", ExpiresAt: own},
		{Number: "+442079460958"},
		{Number: "+14155550100"},
		{Number: "+4930123456"}, // ambiguous in the digits form: refused locally
		{Number: "+14155550101", ExpiresAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, // a date CXone refuses: the request's fault
	})
	if got := kindNames(errs); !slices.Equal(got, []string{"ok", "ok", "ok", "permanent", "config"}) {
		t.Fatalf("add: %v (%v)", got, errs)
	}
	if want := []string{"+14155550100", "+14155552671", "+442079460958"}; !slices.Equal(sim.GroupList(), want) {
		t.Fatalf("group %v, want %v", sim.GroupList(), want)
	}
	// A date travels as MM/DD/YYYY: the record ends no earlier than asked, a day or two later.
	if e, _ := sim.Entry("+14155552671"); e.ExpiresAt.Before(own) || e.ExpiresAt.After(own.Add(60*time.Hour)) {
		t.Errorf("own expiry %v stored as %v", own, e.ExpiresAt)
	}
	if e, _ := sim.Entry("+442079460958"); e.ExpiresAt.Before(before.Add(24*time.Hour)) ||
		e.ExpiresAt.After(time.Now().Add(24*time.Hour+60*time.Hour)) {
		t.Errorf("default expiry stored as %v", e.ExpiresAt)
	}

	// Adding again is a success (CXone updates the record).
	if errs := a.Add(ctx, []cxone.Contact{{Number: "+14155552671"}}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	if st := sim.Stats(); st.Updated != 1 || st.RecordErrors != 1 {
		t.Errorf("stats: %d updated, %d record errors; want 1 and 1", st.Updated, st.RecordErrors)
	}

	recs, total, err := a.ListRecords(ctx, 1, 1)
	wantTotal := -1 // the spec's answer does not say
	if lenient {
		wantTotal = 3
	}
	if err != nil || total != wantTotal || len(recs) != 1 || recs[0].Number != "+14155552671" ||
		recs[0].FormattedPhone != "(415) 555-2671" || recs[0].DateCollected.IsZero() || recs[0].ExpiredDate.IsZero() {
		t.Fatalf("list page: %+v of %d, %v", recs, total, err)
	}
	all, err := a.AllNumbers(ctx)
	if err != nil || !slices.Equal(all, sim.GroupList()) {
		t.Fatalf("AllNumbers %v, %v; group %v", all, err, sim.GroupList())
	}

	found, err := a.Search(ctx, "+442079460958")
	if err != nil || len(found) != 1 || found[0].GroupID != sim.Config().DNCGroupID ||
		found[0].GroupName != sim.Config().DNCGroupName || found[0].ExpiredDate.IsZero() ||
		found[0].FormattedPhone != "+442079460958" {
		t.Fatalf("search: %+v, %v", found, err)
	}
	if found, err := a.Search(ctx, "+14155559999"); err != nil || len(found) != 0 {
		t.Fatalf("search for an absent number: %+v, %v", found, err)
	}

	errs = a.Remove(ctx, []cxone.Contact{{Number: "+14155552671"}, {Number: "+14155559999"}, {Number: "+442079460958"}})
	if got := kindNames(errs); !slices.Equal(got, []string{"ok", "ok", "ok"}) {
		t.Fatalf("remove: %v (%v)", got, errs)
	}
	if want := []string{"+14155550100"}; !slices.Equal(sim.GroupList(), want) {
		t.Fatalf("group after remove %v, want %v", sim.GroupList(), want)
	}
	if st := sim.Stats(); st.Requests[cxonesim.KindUnmatched] != nil {
		t.Errorf("requests the API does not have: %v", st.Requests[cxonesim.KindUnmatched])
	}
}

func TestAdminSimAllNumbersPages(t *testing.T) {
	for _, lenient := range []bool{false, true} {
		sim, u := startAdminSim(t, cxonesim.Config{RatePerMinute: -1, Lenient: lenient})
		var want []string
		for i := range 250 {
			want = append(want, fmt.Sprintf("+1415555%04d", i))
		}
		sim.Seed(want...)
		a, p := simAdmin(sim, u, nil)
		got, err := a.AllNumbers(context.Background())
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("lenient %v: %d numbers, %v", lenient, len(got), err)
		}
		// Without totalRecords the end is the 204 after the last page.
		pages, ends := 3, 1
		if lenient {
			ends = 0
		}
		if w, _ := p.snapshot(); w != pages+ends || requests(sim, cxonesim.KindAdminList, 200) != pages ||
			requests(sim, cxonesim.KindAdminList, 204) != ends {
			t.Errorf("lenient %v: %d pacer waits, list calls %v", lenient, w, sim.Stats().Requests[cxonesim.KindAdminList])
		}
	}
}

// The group, its state and its skills, as `dncsync doctor` reads them.
func TestAdminSimGroup(t *testing.T) {
	sim, u := startAdminSim(t, cxonesim.Config{DNCGroupName: "Opt-outs"})
	sim.Seed("+14155552671")
	a, _ := simAdmin(sim, u, nil)
	ctx := context.Background()
	g, err := a.Group(ctx)
	if err != nil || g.Name != "Opt-outs" || g.Active == nil || !*g.Active || g.Removed || g.ValidRecords != 1 {
		t.Fatalf("group %+v, %v", g, err)
	}
	if s, err := a.ScrubbedSkills(ctx); err != nil || len(s) != 1 || s[0].ID != "4001" {
		t.Fatalf("scrubbed %+v, %v", s, err)
	}
	if c, err := a.ContributingSkills(ctx); err != nil || len(c) != 0 {
		t.Fatalf("contributing %+v, %v", c, err)
	}
	sim.SetGroupSkills(nil, []cxonesim.Skill{{ID: 9, Name: "Inbound"}})
	sim.SetGroupActive(false)
	if s, err := a.ScrubbedSkills(ctx); err != nil || len(s) != 0 {
		t.Fatalf("scrubbed after clearing %+v, %v", s, err)
	}
	if c, err := a.ContributingSkills(ctx); err != nil || len(c) != 1 || c[0] != (cxone.Skill{ID: "9", Name: "Inbound"}) {
		t.Fatalf("contributing %+v, %v", c, err)
	}
	if g, err := a.Group(ctx); err != nil || g.Active == nil || *g.Active {
		t.Fatalf("inactive group %+v, %v", g, err)
	}
	wrong, _ := simAdmin(sim, u, func(cfg *cxone.AdminConfig) { cfg.GroupID = "999" })
	if _, err := wrong.Group(ctx); cxone.KindOf(err) != cxone.Config || !strings.Contains(err.Error(), "CXONE_DNC_GROUP_ID") {
		t.Errorf("unknown group: %v", err)
	}
}

func TestAdminSimRateLimit(t *testing.T) {
	sim, u := startAdminSim(t, cxonesim.Config{RatePerMinute: 6, Burst: 2})
	a, p := simAdmin(sim, u, nil)
	ctx := context.Background()
	for i := range 3 {
		errs := a.Add(ctx, []cxone.Contact{{Number: fmt.Sprintf("+1415555010%d", i)}, {Number: "+442079460958"}})
		for _, err := range errs {
			if want := i == 2; (cxone.KindOf(err) == cxone.RateLimited) != want || (err != nil) != want {
				t.Fatalf("add %d: %v", i, err)
			}
		}
	}
	// The admin API's 429 has no Retry-After: the pacer picks the pause.
	if _, th := p.snapshot(); !slices.Equal(th, []time.Duration{0}) {
		t.Errorf("pacer told %v, want one Throttled(0)", th)
	}
	if sim.Has("+14155550102") {
		t.Error("a rate-limited add was applied")
	}
}

func TestAdminSimTokenRevocationAndWrongGroup(t *testing.T) {
	sim, u := startAdminSim(t, cxonesim.Config{})
	ctx := context.Background()
	a, _ := simAdmin(sim, u, nil)
	if err := a.Login(ctx); err != nil {
		t.Fatal(err)
	}
	sim.RevokeTokens()
	if errs := a.Add(ctx, []cxone.Contact{{Number: "+14155552671"}}); errs[0] != nil {
		t.Fatalf("add after revocation: %v", errs[0])
	}
	if st := sim.Stats(); st.TokensIssued != 2 || st.Unauthorized != 1 {
		t.Errorf("%d tokens, %d 401s; want 2 and 1", st.TokensIssued, st.Unauthorized)
	}

	wrong, _ := simAdmin(sim, u, func(cfg *cxone.AdminConfig) { cfg.GroupID = "999" })
	for _, err := range wrong.Add(ctx, []cxone.Contact{{Number: "+14155550100"}}) {
		if cxone.KindOf(err) != cxone.Config {
			t.Errorf("unknown group: %v, want a config error", err)
		}
	}
	if _, _, err := wrong.ListRecords(ctx, 0, 100); cxone.KindOf(err) != cxone.Config {
		t.Errorf("list of an unknown group: %v", err)
	}
}

// TestAdminSimConvergesUnderFaults pushes, lists and removes through every fault the simulator
// injects, retrying what failed, and checks the group ends up exactly as intended: no number
// reported synced that is not there, none dead-lettered for a fault that was not its own.
func TestAdminSimConvergesUnderFaults(t *testing.T) {
	sim, u := startAdminSim(t, cxonesim.Config{RatePerMinute: -1, Seed: 7})
	sim.SetFaults(cxonesim.Faults{RateLimit429: 0.1, ServerError: 0.1, HTMLError: 0.05, LostAfterApply: 0.1,
		ExpireTokens: 0.05, Slow: 0.05, SlowDelay: 20 * time.Millisecond})
	a, p := simAdmin(sim, u, nil)
	ctx := context.Background()

	var contacts []cxone.Contact
	var want []string
	for i := range 120 {
		n := fmt.Sprintf("+1415555%04d", i)
		if i%4 == 0 {
			n = fmt.Sprintf("+4420794%05d", i)
		}
		contacts = append(contacts, cxone.Contact{Number: n})
		want = append(want, n)
	}
	slices.Sort(want)

	converge := func(op string, do func([]cxone.Contact) []error) {
		t.Helper()
		pending := contacts
		for round := 0; len(pending) > 0; round++ {
			if round == 40 {
				t.Fatalf("%s: %d numbers still failing after %d rounds", op, len(pending), round)
			}
			var next []cxone.Contact
			for b := 0; b < len(pending); b += 4 {
				batch := pending[b:min(b+4, len(pending))]
				for i, err := range do(batch) {
					switch cxone.KindOf(err) {
					case cxone.Permanent, cxone.Refused:
						t.Fatalf("%s: a fault dead-lettered a number: %v", op, err)
					}
					if err != nil {
						next = append(next, batch[i])
					}
				}
			}
			pending = next
		}
	}

	converge("add", func(b []cxone.Contact) []error { return a.Add(ctx, b) })
	if got := sim.GroupList(); !slices.Equal(got, want) {
		t.Fatalf("group has %d numbers, want %d", len(got), len(want))
	}
	var all []string
	for try := 0; ; try++ {
		var err error
		if all, err = a.AllNumbers(ctx); err == nil {
			break
		}
		if try == 40 || cxone.KindOf(err) == cxone.Permanent {
			t.Fatalf("AllNumbers: %v", err)
		}
	}
	if !slices.Equal(all, want) {
		t.Fatalf("AllNumbers gave %d numbers, want %d", len(all), len(want))
	}
	converge("remove", func(b []cxone.Contact) []error { return a.Remove(ctx, b) })
	if got := sim.GroupList(); len(got) != 0 {
		t.Fatalf("%d numbers left after removing all", len(got))
	}

	st := sim.Stats()
	t.Logf("requests %v faults %v", st.Requests, st.FaultsInjected)
	for _, f := range []string{cxonesim.FaultRateLimit429, cxonesim.FaultServerError, cxonesim.FaultHTMLError,
		cxonesim.FaultLostAfterApply, cxonesim.FaultExpireTokens} {
		if st.FaultsInjected[f] == 0 {
			t.Errorf("fault %s never injected: the test proves less than it claims", f)
		}
	}
	_, th := p.snapshot()
	for _, d := range th {
		if d != 0 {
			t.Errorf("pacer told a Retry-After of %v; the admin API sends none", d)
		}
	}
	if len(th) != st.RateLimited {
		t.Errorf("pacer told of %d 429s, the simulator sent %d", len(th), st.RateLimited)
	}
}

func kindNames(errs []error) []string {
	out := make([]string, len(errs))
	for i, err := range errs {
		out[i] = "ok"
		if err != nil {
			out[i] = cxone.KindOf(err).String()
		}
	}
	return out
}
