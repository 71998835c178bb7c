package genesys_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/destination/destinationtest"
	"github.com/dncsync/dncsync/internal/genesys"
	"github.com/dncsync/dncsync/internal/genesys/genesyssim"
)

// clock is a settable time for the simulator; the pacer moves it on a 429, so that a pause costs
// no real time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// bundle is one test's simulated organization and a client of it.
type bundle struct {
	sim    *genesyssim.Server
	hosts  genesyssim.Hosts
	clock  *clock
	pacer  *destinationtest.Pacer
	client *genesys.Client
	cfg    genesys.Config
}

// setup serves a simulator for cfg on its two hosts and returns a client of its list, logging in
// and calling the API on their own hosts as a deployment would; change may alter the client's
// config.
func setup(t *testing.T, cfg genesyssim.Config, change func(*genesys.Config)) *bundle {
	t.Helper()
	b := &bundle{clock: &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}}
	if cfg.Now == nil {
		cfg.Now = b.clock.Now
	}
	b.sim = genesyssim.New(cfg)
	var stop func()
	b.hosts, stop = b.sim.StartHosts()
	t.Cleanup(stop)
	b.pacer = &destinationtest.Pacer{Advance: b.clock.Advance}
	c := b.sim.Config()
	b.cfg = genesys.Config{LoginURL: b.hosts.Login, APIURL: b.hosts.API, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		DNCListID: c.DNCListID, Pacer: b.pacer, Timeout: 2 * time.Second, ExportPoll: time.Millisecond}
	if change != nil {
		change(&b.cfg)
	}
	if err := b.cfg.Validate(); err != nil && change == nil {
		t.Fatalf("the test's own config is invalid: %v", err)
	}
	b.client = genesys.NewWithClock(b.cfg, b.clock.Now)
	return b
}

func (b *bundle) requests(kind string, status int) int { return b.sim.Stats().Requests[kind][status] }

// number is the i-th test number, a valid NANP one.
func number(i int) string { return fmt.Sprintf("+1415555%04d", i) }

func contacts(numbers ...string) []destination.Contact {
	out := make([]destination.Contact, len(numbers))
	for i, n := range numbers {
		out[i] = destination.Contact{Number: n, Reason: "opt_out", Source: "test"}
	}
	return out
}

// noErrors fails unless every result is nil.
func noErrors(t *testing.T, what string, errs []error) {
	t.Helper()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("%s: contact %d: %v", what, i, err)
		}
	}
}

func kinds(errs []error) []destination.Kind {
	out := make([]destination.Kind, len(errs))
	for i, err := range errs {
		out[i] = -1
		if err != nil {
			out[i] = destination.KindOf(err)
		}
	}
	return out
}

func errorsAs(err error, target **destination.Error) bool { return errors.As(err, target) }
