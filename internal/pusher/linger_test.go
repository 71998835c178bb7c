package pusher_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dncsync/dncsync/internal/cxone/cxonesim"
	"github.com/dncsync/dncsync/internal/pusher"
	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/redistest"
)

func addRequests(sim *cxonesim.Server) int {
	n := 0
	for _, c := range sim.Stats().Requests[cxonesim.KindV2Add] {
		n += c
	}
	return n
}

// observed is the sample count of the histogram name with the label destination=dest.
func observed(t *testing.T, reg *prometheus.Registry, name, dest string) uint64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "destination" && l.GetValue() == dest {
					return m.GetHistogram().GetSampleCount()
				}
			}
		}
	}
	t.Fatalf("no %s{destination=%q} registered", name, dest)
	return 0
}

// listed waits until the simulator's list holds n numbers.
func (b *testBundle) listed(t *testing.T, n int) {
	t.Helper()
	for len(b.sim.List()) < n {
		select {
		case <-b.ctx.Done():
			t.Fatalf("%d numbers listed, want %d", len(b.sim.List()), n)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// At light load a number goes out as soon as it is claimed: with the pace free and nothing in
// flight, no linger holds it, however long the linger is set.
func TestLightLoadSendsAtOnce(t *testing.T) {
	for _, store := range []string{"embedded", "redis"} {
		t.Run(store, func(t *testing.T) {
			o := opts{}
			if store == "redis" {
				o.redis = redistest.Start(t)
			}
			b := setup(t, o)
			b.cfg.Linger, b.cfg.Lease = time.Hour, 8*time.Hour // a lingering batch would outlast the test
			reg := prometheus.NewRegistry()
			b.cfg.Metrics = pusher.NewMetrics(reg, "cxone", false)
			synced := make(chan struct{}, 3)
			b.cfg.OnSynced = func(queue.Item, time.Time) { synced <- struct{}{} } // told after the metrics
			b.start(t)
			for _, n := range nums(3, 0) {
				b.enqueue(t, queue.Add, n)
				select {
				case <-synced:
				case <-b.ctx.Done():
					t.Fatalf("%s not synced", n)
				}
			}
			if got := addRequests(b.sim); got != 3 {
				t.Fatalf("%d add requests for 3 numbers sent one by one, want 3", got)
			}
			for _, name := range []string{pusher.ConfirmedMetric, pusher.RequestedMetric} {
				if n := observed(t, reg, name, "cxone"); n != 3 {
					t.Errorf("%s{destination=\"cxone\"} has %d observations, want 3", name, n)
				}
			}
		})
	}
}

// While the pace is the bottleneck, the batch tops up until the pacer's next turn: numbers that
// arrive while a request waits for its turn go together, not one request each.
func TestBatchFillsWhileThePaceHolds(t *testing.T) {
	b := setup(t, opts{rpm: 30}) // a turn every two seconds
	b.cfg.Linger, b.cfg.Lease = time.Hour, 8*time.Hour
	b.start(t)
	b.enqueue(t, queue.Add, nums(1, 0)...)
	b.listed(t, 1) // the first went at once; the next turn is two seconds away
	rest := nums(10, 1)
	for _, n := range rest {
		b.enqueue(t, queue.Add, n)
	}
	b.listed(t, 11)
	if got := addRequests(b.sim); got != 2 {
		t.Fatalf("%d add requests, want 2: the first number alone, then the ten that came while the pace held", got)
	}
}
