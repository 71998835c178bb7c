package cxonesim

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestAdmin429WithoutRetryAfter(t *testing.T) {
	clock := newFakeClock()
	e := newAdminEnv(t, Config{RatePerMinute: 30, Burst: 2, Now: clock.Now})
	for range 2 {
		e.addRecords(digits(1))
	}
	status, hdr, body := e.adminCall(http.MethodPost, e.recordsPath(), recordsBody(digits(2)))
	if status != http.StatusTooManyRequests || len(hdr.Values("Retry-After")) != 0 {
		t.Fatalf("bucket: %d Retry-After %q %s, want 429 without it", status, hdr.Values("Retry-After"), body)
	}
	if e.sim.Has(number(2)) {
		t.Fatal("rate-limited add was applied")
	}
	clock.Advance(2 * time.Second)
	for _, ra := range []string{"2", RetryAfterDate, ""} {
		e.sim.SetFaults(Faults{RateLimit429: 1, RetryAfter: ra})
		status, hdr, _ := e.adminCall(http.MethodGet, e.recordsPath(), "")
		if status != http.StatusTooManyRequests || len(hdr.Values("Retry-After")) != 0 {
			t.Errorf("injected, RetryAfter %q: %d Retry-After %q", ra, status, hdr.Values("Retry-After"))
		}
		clock.Advance(2 * time.Second)
	}
	st := e.sim.Stats()
	if st.RateLimited != 4 || st.FaultsInjected[FaultRateLimit429] != 3 {
		t.Errorf("stats %+v", st)
	}

	// The same faults keep Retry-After on the v2 API.
	e.sim.SetFaults(Faults{RateLimit429: 1, RetryAfter: "2"})
	e.tok = e.token()
	if status, hdr, _ := e.call(http.MethodPost, e.contactsPath(), addBody(number(3))); status != 429 || hdr.Get("Retry-After") != "2" {
		t.Errorf("v2 injected 429: %d %q", status, hdr.Get("Retry-After"))
	}
}

func TestAdminFaultLostAfterApply(t *testing.T) {
	e := newAdminEnv(t, Config{})
	e.sim.SetFaults(Faults{LostAfterApply: 1})
	if resp, err := e.adminSend(http.MethodPost, e.recordsPath(), recordsBody(digits(1), digits(2))); err == nil {
		resp.Body.Close()
		t.Fatalf("add: want a transport error, got %d", resp.StatusCode)
	}
	if !e.sim.Has(number(1)) || !e.sim.Has(number(2)) {
		t.Fatal("lost add was not applied")
	}
	if resp, err := e.adminSend(http.MethodDelete, e.recordsPath(), removeBody(digits(1))); err == nil {
		resp.Body.Close()
		t.Fatalf("remove: want a transport error, got %d", resp.StatusCode)
	}
	if e.sim.Has(number(1)) {
		t.Fatal("lost remove was not applied")
	}

	// Retrying converges: both answer success.
	e.sim.SetFaults(Faults{})
	if got := e.addRecords(digits(1), digits(2)); got.ErrorCount != 0 {
		t.Errorf("re-add %+v", got)
	}
	if got := e.removeRecords(digits(1)); got.ErrorCount != 0 {
		t.Errorf("re-remove %+v", got)
	}
	st := e.sim.Stats()
	if st.FaultsInjected[FaultLostAfterApply] != 2 || st.Requests[KindAdminAdd][0] != 1 || st.Requests[KindAdminRemove][0] != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestAdminFaultsRefuseBeforeApplying(t *testing.T) {
	e := newAdminEnv(t, Config{Seed: 3})
	e.sim.Seed(number(99)) // so that a list answers 200, not 204
	e.sim.SetFaults(Faults{ServerError: 1})
	seen := map[int]int{}
	for i := range 30 {
		status, _, _ := e.adminCall(http.MethodPost, e.recordsPath(), recordsBody(digits(i)))
		seen[status]++
	}
	if seen[500]+seen[502]+seen[503] != 30 || len(seen) != 3 {
		t.Errorf("statuses %v", seen)
	}
	e.sim.SetFaults(Faults{HTMLError: 1})
	status, hdr, body := e.adminCall(http.MethodPost, e.recordsPath(), recordsBody(digits(1)))
	if status != http.StatusBadGateway || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") || !strings.HasPrefix(string(body), "<html>") {
		t.Errorf("HTML fault: %d %q %q", status, hdr.Get("Content-Type"), body)
	}
	if n := len(e.sim.List()); n != 1 {
		t.Errorf("refused requests applied %d numbers", n-1)
	}

	e.sim.SetFaults(Faults{ExpireTokens: 1})
	if status, _, _ := e.adminCall(http.MethodGet, e.recordsPath(), ""); status != http.StatusUnauthorized {
		t.Fatalf("expired token: %d", status)
	}
	e.sim.SetFaults(Faults{})
	if status, _, _ := e.adminCall(http.MethodGet, e.recordsPath(), ""); status != http.StatusUnauthorized {
		t.Fatalf("expired token reused: %d, want 401", status)
	}
	e.tok = e.adminToken()
	if status, _, _ := e.adminCall(http.MethodGet, e.recordsPath(), ""); status != http.StatusOK {
		t.Fatalf("after login: %d", status)
	}

	e.sim.SetFaults(Faults{Slow: 1, SlowDelay: 100 * time.Millisecond})
	start := time.Now()
	e.addRecords(digits(1))
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("slow fault answered after %v", d)
	}
}

// TestAdminConcurrentClientsConverge runs many admin clients with faults on;
// each retries its add until it gets a 200 (a lost answer is simply
// retried), then removes half again the same way.
func TestAdminConcurrentClientsConverge(t *testing.T) {
	e := newAdminEnv(t, Config{RatePerMinute: -1, Seed: 11})
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
	until200 := func(method, body string) bool {
		for range 200 {
			resp, err := e.adminSend(method, e.recordsPath(), body)
			if err != nil {
				continue
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return true
			}
		}
		return false
	}

	const workers, perWorker = 16, 10
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				n := w*perWorker + i
				if !until200(http.MethodPost, recordsBody(digits(n))) {
					t.Errorf("add %d never acknowledged", n)
				}
				if n%2 == 1 && !until200(http.MethodDelete, removeBody(digits(n))) {
					t.Errorf("remove %d never acknowledged", n)
				}
				_ = e.sim.GroupList()
			}
		})
	}
	wg.Wait()

	list := e.sim.List()
	if len(list) != workers*perWorker/2 {
		t.Fatalf("%d numbers listed, want %d", len(list), workers*perWorker/2)
	}
	for _, n := range list {
		if (n[len(n)-1]-'0')%2 != 0 {
			t.Errorf("removed number %s still listed", n)
		}
	}
	st := e.sim.Stats()
	if int64(st.Added) != adds.Load() || int64(st.Removes) != removes.Load() || adds.Load()-removes.Load() != int64(len(list)) {
		t.Errorf("Added %d Removes %d, change feed adds %d removes %d, list %d", st.Added, st.Removes, adds.Load(), removes.Load(), len(list))
	}
	if st.FaultsInjected[FaultLostAfterApply] == 0 || st.Updated == 0 {
		t.Errorf("faults not exercised: %+v", st)
	}
}
