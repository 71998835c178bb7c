package cxonesim

import (
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestConcurrentClientsConverge hammers the simulator from many goroutines
// with faults on, while the list is inspected and faults switched. Each
// worker retries until its number is acknowledged (201 or 409); in the end
// every number is listed exactly once and the change feed agrees.
func TestConcurrentClientsConverge(t *testing.T) {
	e := newEnv(t, Config{RatePerMinute: -1, Seed: 7})
	e.sim.SetFaults(Faults{ServerError: 0.2, LostAfterApply: 0.2, HTMLError: 0.1, RateLimit429: 0.1, Slow: 0.1, SlowDelay: time.Millisecond})
	var adds, removes atomic.Int64
	e.sim.OnChange(func(c Change) {
		switch c.Op {
		case OpAdd:
			adds.Add(1)
		case OpRemove:
			removes.Add(1)
		}
	})

	const workers, perWorker = 16, 10
	stop := make(chan struct{})
	var bg sync.WaitGroup
	bg.Go(func() { // inspection and fault switching during the run, every millisecond
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			_ = e.sim.List()
			_ = e.sim.Stats()
			e.sim.SetFaults(e.sim.Faults())
		}
	})

	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				n := number(w*perWorker + i)
				for attempt := 0; ; attempt++ {
					if attempt > 200 {
						t.Errorf("%s never acknowledged", n)
						return
					}
					resp, err := e.send(http.MethodPost, e.contactsPath(), addBody(n))
					if err != nil {
						continue // lost response: retry must converge via 409
					}
					resp.Body.Close()
					if resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusConflict {
						break
					}
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	bg.Wait()

	list := e.sim.List()
	if len(list) != workers*perWorker {
		t.Fatalf("%d numbers listed, want %d", len(list), workers*perWorker)
	}
	st := e.sim.Stats()
	if int64(st.Added) != adds.Load() || adds.Load()-removes.Load() != int64(len(list)) {
		t.Errorf("Added %d, change feed adds %d removes %d, list %d", st.Added, adds.Load(), removes.Load(), len(list))
	}
	if st.FaultsInjected[FaultLostAfterApply] == 0 || st.Conflicts == 0 {
		t.Errorf("faults not exercised: %+v", st)
	}
}

func TestOnChangeOrderedAndReentrant(t *testing.T) {
	s := New(Config{})
	var got []Change
	s.OnChange(func(c Change) {
		got = append(got, c)
		// Re-entering the simulator from a callback must not deadlock, and
		// the resulting change is delivered after this one.
		if c.Number == number(1) && c.Op == OpAdd {
			_ = s.List()
			s.Delete(number(1))
		}
	})
	s.Seed(number(1), number(2))
	want := []Change{{Number: number(1), Op: OpAdd}, {Number: number(2), Op: OpAdd}, {Number: number(1), Op: OpRemove}}
	if len(got) != len(want) {
		t.Fatalf("changes %+v", got)
	}
	for i := range want {
		if got[i].Number != want[i].Number || got[i].Op != want[i].Op {
			t.Errorf("change %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if s.Has(number(1)) || !s.Has(number(2)) {
		t.Errorf("list %v", s.List())
	}
}

func TestOnChangePanicDoesNotStallDelivery(t *testing.T) {
	s := New(Config{})
	calls := 0
	s.OnChange(func(c Change) {
		calls++
		if c.Number == number(1) {
			panic("boom")
		}
	})
	func() {
		defer func() { _ = recover() }()
		s.Seed(number(1))
	}()
	s.Seed(number(2))
	if calls != 2 {
		t.Errorf("callback ran %d times, want 2", calls)
	}
}
