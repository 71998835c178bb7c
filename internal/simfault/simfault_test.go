package simfault

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

func TestDiceIsSeededAndStable(t *testing.T) {
	f := Faults{ServerError: 0.5, Slow: 0.5, SlowDelay: time.Millisecond}
	a, b := NewDice(7), NewDice(7)
	var errs int
	for range 200 {
		ra, rb := a.Roll(f), b.Roll(f)
		if ra != rb {
			t.Fatal("two dice with one seed rolled differently")
		}
		if ra.ServerError != 0 {
			errs++
		}
		if ra.RateLimit || ra.HTML || ra.Lost || ra.ExpireToken {
			t.Fatalf("a fault of probability 0 happened: %+v", ra)
		}
	}
	if errs < 60 || errs > 140 {
		t.Fatalf("%d server errors in 200 at p=0.5", errs)
	}
	// Raising one probability leaves the outcomes of the others as they were.
	c, d := NewDice(9), NewDice(9)
	for range 100 {
		rc, rd := c.Roll(Faults{Slow: 0.3, SlowDelay: time.Second}), d.Roll(Faults{Slow: 0.3, SlowDelay: time.Second, HTMLError: 1})
		if rc.Slow != rd.Slow {
			t.Fatal("adding a fault reshuffled the slow ones")
		}
	}
	if got := (Faults{Slow: 2, ServerError: -1}).Clamp(); got.Slow != 1 || got.ServerError != 0 {
		t.Fatalf("clamp %+v", got)
	}
}

func TestFaultsJSON(t *testing.T) {
	in := Faults{RateLimit429: 0.25, RetryAfter: "3", Slow: 1, SlowDelay: 1500 * time.Millisecond, HTMLError: 0.5}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out Faults
	if err := json.Unmarshal(b, &out); err != nil || out != in {
		t.Fatalf("round trip %s: %+v, %v", b, out, err)
	}
	if err := json.Unmarshal([]byte(`{"slowDelay":250}`), &out); err != nil || out.SlowDelay != 250*time.Millisecond {
		t.Fatalf("milliseconds: %+v, %v", out, err)
	}
	for _, bad := range []string{`{"serverErrors":1}`, `{"ServerError":1}`, `{"slow":1.5}`, `{"slowDelay":"soon"}`} {
		if err := json.Unmarshal([]byte(bad), &out); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	now := time.Unix(1000, 0)
	if ra := (Faults{RetryAfter: RetryAfterDate}).InjectedRetryAfter(now); ra != now.Add(2*time.Second).UTC().Format(http.TimeFormat) {
		t.Errorf("date Retry-After %q", ra)
	}
}

func TestLimiterAndCounter(t *testing.T) {
	now := time.Unix(0, 0)
	l := NewLimiter(60, 2)
	for i := range 2 {
		if ok, _ := l.Take("a", now); !ok {
			t.Fatalf("call %d within the burst refused", i)
		}
	}
	ok, wait := l.Take("a", now)
	if ok || wait != time.Second || RetryAfterSeconds(wait) != "1" {
		t.Fatalf("over the burst: %v %v", ok, wait)
	}
	if ok, _ := l.Take("b", now); !ok {
		t.Fatal("keys share a bucket")
	}
	if ok, _ := l.Take("a", now.Add(time.Second)); !ok {
		t.Fatal("no refill after a second")
	}
	if ok, _ := NewLimiter(-1, 0).Take("a", now); !ok {
		t.Fatal("a disabled limiter refused")
	}
	if RetryAfterSeconds(1500*time.Millisecond) != "2" || RetryAfterSeconds(0) != "1" {
		t.Fatal("Retry-After is not rounded up to at least 1")
	}

	c := NewCounter()
	for i := range 5 {
		c.Observe(now.Add(time.Duration(i) * 20 * time.Second)) // 0, 20, 40, 60, 80 s
	}
	if c.MaxPerMinute != 3 {
		t.Fatalf("busiest minute %d, want 3", c.MaxPerMinute)
	}
	c.Record("add", 204)
	c.Fault(FaultSlow)
	s := c.Snapshot()
	c.Record("add", 204)
	if s.Requests["add"][204] != 1 || s.FaultsInjected[FaultSlow] != 1 {
		t.Fatalf("snapshot %+v shares state", s)
	}
}

// A bucket refills continuously up to its capacity (cxonesim's organizations use this one).
func TestBucketMath(t *testing.T) {
	t0 := time.Unix(0, 0)
	l := NewLimiter(100, 2)
	for i := range 2 {
		if ok, _ := l.Take("org", t0); !ok {
			t.Fatalf("take %d refused", i)
		}
	}
	ok, wait := l.Take("org", t0)
	if ok || wait != 600*time.Millisecond {
		t.Fatalf("empty bucket: ok %v wait %v, want false 600ms", ok, wait)
	}
	if ok, _ := l.Take("org", t0.Add(time.Hour)); !ok {
		t.Fatal("refilled bucket refused")
	}
	if tok := l.buckets["org"].tokens; tok != 1 {
		t.Errorf("tokens %v after refill and take, want capacity-1 = 1", tok)
	}
}

// A closed hold keeps a request until it opens, and says when one arrived.
func TestHold(t *testing.T) {
	var h Hold
	if !h.Wait(t.Context()) {
		t.Fatal("an open hold kept a request")
	}
	arrived := h.Close()
	passed := make(chan bool)
	go func() { passed <- h.Wait(t.Context()) }()
	<-arrived
	select {
	case <-passed:
		t.Fatal("a closed hold let a request pass")
	default:
	}
	h.Open()
	if !<-passed {
		t.Fatal("the opened hold did not let the request pass")
	}
	h.Close()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if h.Wait(ctx) {
		t.Fatal("a request whose client went away passed a closed hold")
	}
	h.Open()
}
