package cxonesim

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/poll"
)

func TestFaultRateLimit429(t *testing.T) {
	clock := newFakeClock()
	e := newEnv(t, Config{Now: clock.Now})
	for _, c := range []struct{ setting, want string }{
		{"", ""},
		{"2", "2"},
		{RetryAfterDate, clock.Now().Add(2 * time.Second).Format(http.TimeFormat)},
		{"soon", "soon"},
	} {
		e.sim.SetFaults(Faults{RateLimit429: 1, RetryAfter: c.setting})
		status, hdr, _ := e.call(http.MethodPost, e.contactsPath(), addBody(number(1)))
		if status != http.StatusTooManyRequests {
			t.Fatalf("RetryAfter %q: status %d", c.setting, status)
		}
		if got, present := hdr.Get("Retry-After"), len(hdr.Values("Retry-After")) > 0; got != c.want || present != (c.want != "") {
			t.Errorf("RetryAfter %q: header %q (present %v), want %q", c.setting, got, present, c.want)
		}
	}
	if e.sim.Has(number(1)) {
		t.Error("injected 429 applied the request")
	}
	if st := e.sim.Stats(); st.FaultsInjected[FaultRateLimit429] != 4 || st.RateLimited != 4 {
		t.Errorf("stats %+v", st)
	}
}

func TestFaultServerError(t *testing.T) {
	e := newEnv(t, Config{Seed: 1})
	e.sim.SetFaults(Faults{ServerError: 1})
	seen := map[int]int{}
	for i := range 40 {
		status, _, body := e.call(http.MethodPost, e.contactsPath(), addBody(number(i)))
		seen[status]++
		if !strings.Contains(string(body), `"error"`) {
			t.Errorf("server error body %s", body)
		}
	}
	if len(seen) != 3 || seen[500]+seen[502]+seen[503] != 40 {
		t.Errorf("statuses %v, want a mix of 500, 502, 503", seen)
	}
	if n := len(e.sim.List()); n != 0 {
		t.Errorf("server errors applied %d numbers", n)
	}
	if got := e.sim.Stats().FaultsInjected[FaultServerError]; got != 40 {
		t.Errorf("FaultsInjected = %d", got)
	}
}

func TestFaultHTMLError(t *testing.T) {
	e := newEnv(t, Config{})
	e.sim.SetFaults(Faults{HTMLError: 1})
	status, hdr, body := e.call(http.MethodPost, e.contactsPath(), addBody(number(1)))
	if status != http.StatusBadGateway || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") || !strings.HasPrefix(string(body), "<html>") {
		t.Fatalf("got %d %q %q", status, hdr.Get("Content-Type"), body)
	}
	if e.sim.Has(number(1)) {
		t.Error("HTML error applied the request")
	}
}

func TestFaultSlow(t *testing.T) {
	e := newEnv(t, Config{})
	e.sim.SetFaults(Faults{Slow: 1, SlowDelay: 150 * time.Millisecond})
	start := time.Now()
	if status, _ := e.add(number(1)); status != http.StatusCreated {
		t.Fatalf("slow add: %d", status)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("answered after %v, want >= 150ms", d)
	}

	// A client that gives up during the delay changes nothing.
	e.sim.SetFaults(Faults{Slow: 1, SlowDelay: 5 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.url+e.contactsPath(), strings.NewReader(addBody(number(2))))
	req.Header.Set("Authorization", "Bearer "+e.tok)
	req.Header.Set("X-CXone-Version", V2Version)
	req.Header.Set("Content-Type", "application/json")
	if _, err := e.client.Do(req); err == nil {
		t.Fatal("want a timeout error")
	}
	waitFor(t, func() bool { return e.sim.Stats().Requests[KindV2Add][0] == 1 })
	if e.sim.Has(number(2)) {
		t.Error("abandoned slow request was applied")
	}
	if got := e.sim.Stats().FaultsInjected[FaultSlow]; got != 2 {
		t.Errorf("FaultsInjected[slow] = %d, want 2", got)
	}
}

func TestFaultLostAfterApply(t *testing.T) {
	e := newEnv(t, Config{})
	e.sim.SetFaults(Faults{LostAfterApply: 1})
	if resp, err := e.send(http.MethodPost, e.contactsPath(), addBody(number(1), number(2))); err == nil {
		resp.Body.Close()
		t.Fatalf("want a transport error, got %d", resp.StatusCode)
	}
	if !e.sim.Has(number(1)) || !e.sim.Has(number(2)) {
		t.Fatal("lost request was not applied")
	}
	if resp, err := e.send(http.MethodDelete, e.contactsPath()+"/"+number(1), ""); err == nil {
		resp.Body.Close()
		t.Fatalf("delete: want a transport error, got %d", resp.StatusCode)
	}
	if e.sim.Has(number(1)) {
		t.Fatal("lost delete was not applied")
	}

	// The client converges on retry: the add conflicts, the delete is gone.
	e.sim.SetFaults(Faults{})
	if status, _ := e.add(number(1), number(2)); status != http.StatusConflict {
		t.Errorf("re-push: %d, want 409", status)
	}
	if status, _, _ := e.call(http.MethodDelete, e.contactsPath()+"/"+number(1), ""); status != http.StatusNotFound {
		t.Errorf("re-delete: %d, want 404", status)
	}
	st := e.sim.Stats()
	if st.FaultsInjected[FaultLostAfterApply] != 2 || st.Requests[KindV2Add][0] != 1 || st.Requests[KindV2Remove][0] != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestFaultExpireTokens(t *testing.T) {
	e := newEnv(t, Config{})
	e.sim.SetFaults(Faults{ExpireTokens: 1})
	if status, _ := e.add(number(1)); status != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", status)
	}
	e.sim.SetFaults(Faults{})
	if status, _ := e.add(number(1)); status != http.StatusUnauthorized {
		t.Fatalf("expired token reused: %d, want 401 (it must stay expired)", status)
	}
	e.tok = e.token()
	if status, _ := e.add(number(1)); status != http.StatusCreated {
		t.Fatalf("fresh token: %d", status)
	}
	if got := e.sim.Stats().FaultsInjected[FaultExpireTokens]; got != 1 {
		t.Errorf("FaultsInjected = %d", got)
	}
}

func TestFaultsSkipTokenAndSimEndpoints(t *testing.T) {
	e := newEnv(t, Config{})
	e.sim.SetFaults(Faults{ServerError: 1, RateLimit429: 1})
	e.token() // fails the test unless 200
	resp, err := e.client.Get(e.url + "/sim/list")
	if err != nil {
		t.Fatal(err)
	}
	if status, _, _ := readResp(t, resp); status != http.StatusOK {
		t.Errorf("/sim/list under faults: %d", status)
	}
	if n := len(e.sim.Stats().FaultsInjected); n != 0 {
		t.Errorf("faults injected outside the API: %v", e.sim.Stats().FaultsInjected)
	}
}

func TestFaultsDeterministicPerSeed(t *testing.T) {
	run := func(seed int64) string {
		e := newEnv(t, Config{Seed: seed, RatePerMinute: -1})
		e.sim.SetFaults(Faults{ServerError: 0.5})
		var b strings.Builder
		for i := range 30 {
			status, _, _ := e.call(http.MethodDelete, e.contactsPath()+"/"+number(i), "")
			b.WriteString(http.StatusText(status)[:1])
		}
		return b.String()
	}
	a, b := run(42), run(42)
	if a != b {
		t.Fatalf("same seed, different outcomes:\n%s\n%s", a, b)
	}
	if !strings.Contains(a, "N") || !strings.ContainsAny(a, "IBS") {
		t.Errorf("probability 0.5 gave no mix: %s", a)
	}
}

func TestSetFaultsClamps(t *testing.T) {
	s := New(Config{})
	s.SetFaults(Faults{ServerError: 3, Slow: -1, HTMLError: 0.25})
	if f := s.Faults(); f.ServerError != 1 || f.Slow != 0 || f.HTMLError != 0.25 {
		t.Errorf("faults %+v", f)
	}
}

// waitFor polls cond for up to 5s; the server notices a vanished client
// asynchronously.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	poll.For(t, "the server to notice", 5*time.Second, cond)
}

// HoldRequests keeps an add unapplied and unanswered until released, says when one waits, and
// applies nothing for a client that went away meanwhile.
func TestHoldRequests(t *testing.T) {
	e := newEnv(t, Config{})
	arrived, release := e.sim.HoldRequests()
	answered := make(chan int, 1)
	go func() {
		code, _ := e.add(number(1))
		answered <- code
	}()
	select {
	case <-arrived:
	case code := <-answered:
		t.Fatalf("the add was answered %d before it was held", code)
	}
	if e.sim.Has(number(1)) {
		t.Fatal("a held add was applied")
	}
	select {
	case code := <-answered:
		t.Fatalf("a held add was answered %d", code)
	default:
	}
	release()
	if code := <-answered; code/100 != 2 || !e.sim.Has(number(1)) {
		t.Fatalf("the released add: %d, listed %v", code, e.sim.Has(number(1)))
	}

	arrived, release = e.sim.HoldRequests()
	defer release()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.url+e.contactsPath(), strings.NewReader(addBody(number(2))))
	req.Header.Set("Authorization", "Bearer "+e.tok)
	req.Header.Set("X-CXone-Version", V2Version)
	req.Header.Set("Content-Type", "application/json")
	failed := make(chan error, 1)
	go func() {
		_, err := e.client.Do(req)
		failed <- err
	}()
	select {
	case <-arrived:
	case err := <-failed:
		t.Fatalf("the add ended (%v) before it was held", err)
	}
	cancel()
	if err := <-failed; err == nil {
		t.Fatal("a cancelled request was answered")
	}
	waitFor(t, func() bool { return e.sim.Stats().Requests[KindV2Add][0] == 1 })
	release()
	if e.sim.Has(number(2)) {
		t.Error("a held request whose client went away was applied")
	}
}
