package genesys_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/genesys"
	"github.com/dncsync/dncsync/internal/genesys/genesyssim"
	"github.com/dncsync/dncsync/internal/simfault"
)

func TestAllNumbers(t *testing.T) {
	for _, digits := range []bool{false, true} {
		name := "E.164"
		if digits {
			name = "digits"
		}
		t.Run(name, func(t *testing.T) { testAllNumbers(t, digits) })
	}
}

func testAllNumbers(t *testing.T, digits bool) {
	ctx := context.Background()
	b := setup(t, genesyssim.Config{ExportPolls: 2, ExportDigits: digits}, nil)
	now := b.clock.Now()
	b.sim.SeedEntries(
		genesyssim.Entry{Number: number(3)},
		genesyssim.Entry{Number: number(1), ExpiresAt: now.Add(time.Hour)},
		genesyssim.Entry{Number: "+442071234567"},
		genesyssim.Entry{Number: number(2), ExpiresAt: now.Add(-time.Minute)}, // expired: no longer blocks
	)
	got, err := b.client.AllNumbers(ctx)
	if want := []string{number(1), number(3), "+442071234567"}; err != nil || !slices.Equal(got, sortedCopy(want)) {
		t.Fatalf("AllNumbers = %v, %v; want %v", got, err, sortedCopy(want))
	}
	if st := b.sim.Stats(); st.Exports != 1 || st.Downloads != 1 || st.Requests[genesyssim.KindExportGet][200] != 1 {
		t.Errorf("stats %+v: want one export, polled until ready, downloaded once", st)
	}

	// A later call does not take the previous export for its own.
	noErrors(t, "add", b.client.Add(ctx, contacts(number(4))))
	got, err = b.client.AllNumbers(ctx)
	if err != nil || !slices.Contains(got, number(4)) {
		t.Fatalf("second AllNumbers = %v, %v; want the new number in it", got, err)
	}
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

func TestAllNumbersFaults(t *testing.T) {
	ctx := context.Background()
	// 429s are waited out (the pacer's pause moves the clock) and retried.
	b := setup(t, genesyssim.Config{RatePerMinute: 60, Burst: 1, ExportPolls: -1}, nil)
	b.sim.Seed(number(1))
	got, err := b.client.AllNumbers(ctx)
	if err != nil || !slices.Equal(got, []string{number(1)}) {
		t.Fatalf("under the rate limit: %v, %v", got, err)
	}
	if th := b.pacer.Throttles(); len(th) < 3 {
		t.Errorf("pauses %v: every step should have met the bucket", th)
	}

	// An export that never comes is given up on, transiently.
	never := setup(t, genesyssim.Config{ExportPolls: 1 << 30}, func(c *genesys.Config) { c.ExportTimeout = 50 * time.Millisecond })
	if _, err := never.client.AllNumbers(ctx); destination.KindOf(err) != destination.Transient {
		t.Fatalf("an export never ready: %v", err)
	}

	// An unknown list is the deployment's fault.
	missing := setup(t, genesyssim.Config{}, func(c *genesys.Config) { c.DNCListID = "nope" })
	if _, err := missing.client.AllNumbers(ctx); destination.KindOf(err) != destination.Config {
		t.Fatalf("an unknown list: %v", err)
	}

	// Server errors surface as transient.
	down := setup(t, genesyssim.Config{}, nil)
	down.sim.SetFaults(simfault.Faults{ServerError: 1})
	if _, err := down.client.AllNumbers(ctx); destination.KindOf(err) != destination.Transient {
		t.Fatalf("5xx: %v", err)
	}
}
