package genesys_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/genesys"
	"github.com/dncsync/dncsync/internal/genesys/genesyssim"
	"github.com/dncsync/dncsync/internal/simfault"
)

func TestRateLimited(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, retryAfter string
		want             time.Duration
	}{{"with Retry-After", "7", 7 * time.Second}, {"without", "", 0}, {"as a date", simfault.RetryAfterDate, 2 * time.Second}} {
		t.Run(tc.name, func(t *testing.T) {
			b := setup(t, genesyssim.Config{}, nil)
			b.sim.SetFaults(simfault.Faults{RateLimit429: 1, RetryAfter: tc.retryAfter})
			cs := contacts(number(1), number(2))
			cs[1].ExpiresAt = b.clock.Now().Add(time.Hour) // a second request, which must not be sent
			for i, err := range b.client.Add(ctx, cs) {
				var e *destination.Error
				if destination.KindOf(err) != destination.RateLimited || !asError(err, &e) || e.RetryAfter <= 0 {
					t.Errorf("contact %d: %v, want RateLimited with the pause applied", i, err)
				}
			}
			if th := b.pacer.Throttles(); len(th) != 1 || th[0] != tc.want {
				t.Errorf("the pacer was told %v, want one pause of %v", th, tc.want)
			}
			if n := b.sim.Stats().Requests[genesyssim.KindPatch][429]; n != 1 {
				t.Errorf("%d requests answered 429; the batch should stop at the first", n)
			}
			if len(b.sim.List()) != 0 {
				t.Error("a refused request was applied")
			}
		})
	}

	// The organization's own bucket: one request a second, two at once.
	b := setup(t, genesyssim.Config{RatePerMinute: 60, Burst: 2}, func(c *genesys.Config) { c.MaxBatch = 1 })
	errs := b.client.Add(ctx, contacts(number(1), number(2), number(3), number(4)))
	if got := kinds(errs); got[0] != -1 || got[1] != -1 || got[2] != destination.RateLimited || got[3] != destination.RateLimited {
		t.Fatalf("over the burst: %v", errs)
	}
	if th := b.pacer.Throttles(); len(th) != 1 || th[0] != time.Second {
		t.Fatalf("pauses %v, want the bucket's 1 s", th)
	}
	// The pacer's pause moved the clock: the rest goes through.
	noErrors(t, "after the pause", b.client.Add(ctx, contacts(number(3))))
}

func TestServerErrors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		faults simfault.Faults
	}{
		{"5xx", simfault.Faults{ServerError: 1}},
		{"HTML gateway page", simfault.Faults{HTMLError: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := setup(t, genesyssim.Config{}, nil)
			b.sim.SetFaults(tc.faults)
			cs := contacts(number(1), number(2))
			cs[1].ExpiresAt = b.clock.Now().Add(time.Hour)
			for i, err := range b.client.Add(ctx, cs) {
				if destination.KindOf(err) != destination.Transient || len(err.Error()) > 300 {
					t.Errorf("contact %d: %v, want a short Transient error", i, err)
				}
			}
			// A transient failure does not stop the batch: each request had its chance.
			if n := b.sim.Stats().Requests[genesyssim.KindPatch]; n[500]+n[502]+n[503] != 2 {
				t.Errorf("requests %v, want both sent", n)
			}
			b.sim.SetFaults(simfault.Faults{})
			noErrors(t, "after recovery", b.client.Add(ctx, cs))
		})
	}
}

func TestLostAndSlowAnswers(t *testing.T) {
	ctx := context.Background()
	b := setup(t, genesyssim.Config{}, nil)
	b.sim.SetFaults(simfault.Faults{LostAfterApply: 1})
	err := b.client.Add(ctx, contacts(number(1)))[0]
	if destination.KindOf(err) != destination.Transient || !b.sim.Has(number(1)) {
		t.Fatalf("lost answer: %v (listed: %v), want Transient with the add applied", err, b.sim.Has(number(1)))
	}
	b.sim.SetFaults(simfault.Faults{})
	noErrors(t, "retry converges", b.client.Add(ctx, contacts(number(1))))
	b.sim.SetFaults(simfault.Faults{LostAfterApply: 1})
	b.client.Remove(ctx, contacts(number(1)))
	b.sim.SetFaults(simfault.Faults{})
	noErrors(t, "a remove retried", b.client.Remove(ctx, contacts(number(1))))
	if b.sim.Has(number(1)) {
		t.Fatal("the number is still listed")
	}

	// A slow answer past the client's timeout: transient, and nothing applied.
	slow := setup(t, genesyssim.Config{}, func(c *genesys.Config) { c.Timeout = 50 * time.Millisecond })
	slow.sim.SetFaults(simfault.Faults{Slow: 1, SlowDelay: 5 * time.Second})
	if err := slow.client.Add(ctx, contacts(number(2)))[0]; destination.KindOf(err) != destination.Transient {
		t.Fatalf("slow answer: %v", err)
	}
	if slow.sim.Has(number(2)) {
		t.Fatal("a request the client gave up on was applied")
	}
}

func TestTokens(t *testing.T) {
	ctx := context.Background()
	b := setup(t, genesyssim.Config{}, nil)
	noErrors(t, "first", b.client.Add(ctx, contacts(number(1))))
	b.sim.RevokeTokens()
	noErrors(t, "after revocation", b.client.Add(ctx, contacts(number(2))))
	b.sim.SetFaults(simfault.Faults{ExpireTokens: 1})
	err := b.client.Add(ctx, contacts(number(3)))[0]
	// Every token fails: one retry with a fresh token, then the deployment is told.
	if destination.KindOf(err) != destination.Config || !strings.Contains(err.Error(), "fresh token") {
		t.Fatalf("tokens refused twice: %v", err)
	}
	if st := b.sim.Stats(); st.TokensIssued != 3 || st.Unauthorized != 3 {
		t.Errorf("stats %+v: want 3 tokens (first, after the revocation, the retry) and 3 refusals", st)
	}
}

func asError(err error, e **destination.Error) bool {
	var x *destination.Error
	ok := err != nil && errorsAs(err, &x)
	*e = x
	return ok
}
