package cxonesim

import (
	"net/http"
	"testing"
	"time"
)

func TestRateLimitBurstThen429(t *testing.T) {
	clock := newFakeClock()
	e := newEnv(t, Config{RatePerMinute: 30, Burst: 5, Now: clock.Now}) // one call per 2s
	for i := range 5 {
		if status, body := e.add(number(i)); status != http.StatusCreated {
			t.Fatalf("call %d within burst: %d %s", i, status, body)
		}
	}
	status, hdr, body := e.call(http.MethodPost, e.contactsPath(), addBody(number(99)))
	if status != http.StatusTooManyRequests || hdr.Get("Retry-After") != "2" {
		t.Fatalf("over burst: %d Retry-After %q %s, want 429 and 2", status, hdr.Get("Retry-After"), body)
	}
	if e.sim.Has(number(99)) {
		t.Fatal("rate-limited add was applied")
	}
	clock.Advance(500 * time.Millisecond) // 1.5s left: rounded up
	if _, hdr, _ := e.call(http.MethodPost, e.contactsPath(), addBody(number(99))); hdr.Get("Retry-After") != "2" {
		t.Errorf("after 0.5s Retry-After %q, want 2", hdr.Get("Retry-After"))
	}
	clock.Advance(1500 * time.Millisecond)
	if status, body := e.add(number(99)); status != http.StatusCreated {
		t.Fatalf("after refill: %d %s", status, body)
	}
	if status, _ := e.add(number(98)); status != http.StatusTooManyRequests {
		t.Errorf("refill gave more than one call: %d", status)
	}
	st := e.sim.Stats()
	if st.RateLimited != 3 || st.Requests[KindV2Add][429] != 3 || st.FaultsInjected[FaultRateLimit429] != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestRateLimitCoversAllAPICallsButNotTokens(t *testing.T) {
	clock := newFakeClock()
	e := newEnv(t, Config{RatePerMinute: 60, Burst: 3, Now: clock.Now})
	for range 10 { // token requests are free
		e.token()
	}
	// Rejected calls still spend from the bucket, as at the vendor.
	e.call(http.MethodPost, e.contactsPath(), addBody(number(1)), delHeader("X-CXone-Version"))
	e.call(http.MethodDelete, e.contactsPath()+"/"+number(1), "")
	e.call(http.MethodPost, subPath, `{}`)
	if status, _ := e.add(number(1)); status != http.StatusTooManyRequests {
		t.Fatalf("4th API call: %d, want 429", status)
	}
	// Unauthenticated calls are refused before the bucket and do not spend.
	clock.Advance(time.Second)
	e.call(http.MethodPost, e.contactsPath(), addBody(number(1)), delHeader("Authorization"))
	if status, _ := e.add(number(1)); status != http.StatusCreated {
		t.Fatalf("after 1s: %d, want 201", status)
	}
}

func TestRateLimitDefaultsAndUnlimited(t *testing.T) {
	e := newEnv(t, Config{Now: newFakeClock().Now})
	if c := e.sim.Config(); c.RatePerMinute != 100 || c.Burst != 100 {
		t.Fatalf("defaults %d/%d, want 100/100", c.RatePerMinute, c.Burst)
	}
	for i := range 100 {
		if status, _, _ := e.call(http.MethodDelete, e.contactsPath()+"/"+number(i), ""); status != http.StatusNotFound {
			t.Fatalf("call %d: %d", i, status)
		}
	}
	if status, _, _ := e.call(http.MethodDelete, e.contactsPath()+"/"+number(0), ""); status != http.StatusTooManyRequests {
		t.Fatalf("101st call: %d, want 429", status)
	}

	u := newEnv(t, Config{RatePerMinute: -1, Now: newFakeClock().Now})
	for i := range 300 {
		if status, _, _ := u.call(http.MethodDelete, u.contactsPath()+"/"+number(i), ""); status != http.StatusNotFound {
			t.Fatalf("unlimited call %d: %d", i, status)
		}
	}
}

func TestMaxPerMinute(t *testing.T) {
	clock := newFakeClock()
	e := newEnv(t, Config{RatePerMinute: -1, Now: clock.Now})
	burst := func(n int) {
		for range n {
			e.call(http.MethodDelete, e.contactsPath()+"/"+number(1), "")
		}
	}
	burst(10)
	clock.Advance(30 * time.Second)
	burst(10)
	clock.Advance(30 * time.Second) // the first 10 are now exactly 60s old: out
	burst(5)
	if got := e.sim.Stats().MaxPerMinute; got != 20 {
		t.Errorf("MaxPerMinute = %d, want 20", got)
	}
	burst(6) // 10 + 5 + 6 within the last 60s
	if got := e.sim.Stats().MaxPerMinute; got != 21 {
		t.Errorf("MaxPerMinute = %d, want 21", got)
	}
}

func TestRateLimitFixedWindow(t *testing.T) {
	clock := newFakeClock() // 12:00:00 exactly
	e := newEnv(t, Config{Now: clock.Now})
	e.sim.SetRateLimit(RateLimit{Shape: ShapeWindow, PerMinute: 3})
	clock.Advance(20 * time.Second)
	for i := range 3 {
		if status, body := e.add(number(i)); status != http.StatusCreated {
			t.Fatalf("call %d within the window: %d %s", i, status, body)
		}
	}
	status, hdr, _ := e.call(http.MethodPost, e.contactsPath(), addBody(number(9)))
	if status != http.StatusTooManyRequests || hdr.Get("Retry-After") != "40" {
		t.Fatalf("4th call in the minute: %d Retry-After %q, want 429 and 40 (the rest of the minute)", status, hdr.Get("Retry-After"))
	}
	clock.Advance(39*time.Second + 500*time.Millisecond) // 0.5 s left: rounded up to 1
	if _, hdr, _ := e.call(http.MethodPost, e.contactsPath(), addBody(number(9))); hdr.Get("Retry-After") != "1" {
		t.Fatalf("Retry-After %q half a second before the next minute, want 1", hdr.Get("Retry-After"))
	}
	clock.Advance(500 * time.Millisecond) // 12:01:00: a new window, refused calls spent nothing
	for i := range 3 {
		if status, body := e.add(number(10 + i)); status != http.StatusCreated {
			t.Fatalf("call %d in the next window: %d %s", i, status, body)
		}
	}
	if status, _ := e.add(number(20)); status != http.StatusTooManyRequests {
		t.Fatalf("4th call in the next window: %d", status)
	}
	if st := e.sim.Stats(); st.RateLimited != 3 {
		t.Fatalf("429s %d, want 3", st.RateLimited)
	}
}

// A true limit under the client's configuration, as a bucket of one: calls closer than
// 60s/PerMinute are refused, whatever the client was told.
func TestRateLimitBucketOfOne(t *testing.T) {
	clock := newFakeClock()
	e := newEnv(t, Config{RatePerMinute: 6000, Now: clock.Now})
	e.sim.SetRateLimit(RateLimit{PerMinute: 900, Burst: 1}) // 66.7 ms apart
	if status, _ := e.add(number(1)); status != http.StatusCreated {
		t.Fatalf("first call: %d", status)
	}
	clock.Advance(60 * time.Millisecond)
	status, hdr, _ := e.call(http.MethodPost, e.contactsPath(), addBody(number(2)))
	if status != http.StatusTooManyRequests || hdr.Get("Retry-After") != "1" {
		t.Fatalf("a call 60 ms after: %d Retry-After %q, want 429 and 1", status, hdr.Get("Retry-After"))
	}
	clock.Advance(7 * time.Millisecond)
	if status, _ := e.add(number(2)); status != http.StatusCreated {
		t.Fatalf("a call 67 ms after: %d", status)
	}
	e.sim.SetRateLimit(RateLimit{PerMinute: -1})
	for i := range 50 {
		if status, _ := e.add(number(100 + i)); status != http.StatusCreated {
			t.Fatalf("unlimited call %d: %d", i, status)
		}
	}
}
