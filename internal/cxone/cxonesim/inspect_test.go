package cxonesim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// simCall calls a /sim/ route without any API headers.
func (e *env) simCall(method, path, body string) (int, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	status, _, b := readResp(e.t, resp)
	return status, b
}

func TestSimListSeedDelete(t *testing.T) {
	e := newEnv(t, Config{})
	status, body := e.simCall(http.MethodGet, "/sim/list", "")
	if status != http.StatusOK || strings.TrimSpace(string(body)) != `{"numbers":[]}` {
		t.Fatalf("empty list: %d %s", status, body)
	}
	if status, body := e.simCall(http.MethodPost, "/sim/seed", `{"numbers":["`+number(2)+`","`+number(1)+`"]}`); status != http.StatusNoContent {
		t.Fatalf("seed: %d %s", status, body)
	}
	if status, _ := e.add(number(1)); status != http.StatusConflict {
		t.Errorf("seeded number: add %d, want 409", status)
	}
	var got numbersBody
	_, body = e.simCall(http.MethodGet, "/sim/list", "")
	mustJSON(t, body, &got)
	if !slices.Equal(got.Numbers, []string{number(1), number(2)}) {
		t.Errorf("list %v", got.Numbers)
	}
	if status, _ := e.simCall(http.MethodPost, "/sim/delete", `{"numbers":["`+number(1)+`"]}`); status != http.StatusNoContent {
		t.Errorf("delete: %d", status)
	}
	if !slices.Equal(e.sim.List(), []string{number(2)}) {
		t.Errorf("after delete %v", e.sim.List())
	}
	_, body = e.simCall(http.MethodGet, "/sim/entries", "")
	var ents struct{ Entries []Entry }
	mustJSON(t, body, &ents)
	if len(ents.Entries) != 1 || ents.Entries[0].Number != number(2) || ents.Entries[0].Source != "cxonesim" {
		t.Errorf("entries %+v", ents.Entries)
	}
	for name, b := range map[string]string{
		"invalid number": `{"numbers":["4155550100"]}`,
		"unknown key":    `{"number":["+14155550100"]}`,
		"not json":       `+14155550100`,
	} {
		if status, _ := e.simCall(http.MethodPost, "/sim/seed", b); status != http.StatusBadRequest {
			t.Errorf("seed %s: %d, want 400", name, status)
		}
	}
}

func TestSimStats(t *testing.T) {
	e := newEnv(t, Config{})
	e.add(number(1))
	e.add(number(1))
	status, body := e.simCall(http.MethodGet, "/sim/stats", "")
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	var st Stats
	mustJSON(t, body, &st)
	if st.Requests[KindV2Add][201] != 1 || st.Requests[KindV2Add][409] != 1 || st.Requests[KindToken][200] != 1 ||
		st.Added != 1 || st.Conflicts != 1 || st.TokensIssued != 1 || st.MaxPerMinute != 2 {
		t.Errorf("stats %s", body)
	}
	if _, ok := st.Requests["sim"]; ok || len(st.Requests) != 2 {
		t.Errorf("/sim/ calls were counted: %v", st.Requests)
	}
}

func TestSimFaults(t *testing.T) {
	e := newEnv(t, Config{})
	body := `{"rateLimit429":0.5,"retryAfter":"date","serverError":0.1,"slow":0.2,"slowDelay":"1.5s","lostAfterApply":0.3,"expireTokens":0.05,"htmlError":0.01}`
	if status, b := e.simCall(http.MethodPost, "/sim/faults", body); status != http.StatusNoContent {
		t.Fatalf("set: %d %s", status, b)
	}
	want := Faults{RateLimit429: 0.5, RetryAfter: RetryAfterDate, ServerError: 0.1, Slow: 0.2, SlowDelay: 1500 * time.Millisecond,
		LostAfterApply: 0.3, ExpireTokens: 0.05, HTMLError: 0.01}
	if got := e.sim.Faults(); got != want {
		t.Errorf("faults %+v, want %+v", got, want)
	}
	_, b := e.simCall(http.MethodGet, "/sim/faults", "")
	var round Faults
	if err := json.Unmarshal(b, &round); err != nil || round != want {
		t.Errorf("GET round trip %s -> %+v (%v)", b, round, err)
	}

	// Milliseconds as a number; omitted keys reset to zero.
	if status, b := e.simCall(http.MethodPost, "/sim/faults", `{"slow":1,"slowDelay":250}`); status != http.StatusNoContent {
		t.Fatalf("set ms: %d %s", status, b)
	}
	if got := e.sim.Faults(); got != (Faults{Slow: 1, SlowDelay: 250 * time.Millisecond}) {
		t.Errorf("faults %+v", got)
	}
	for name, b := range map[string]string{
		"typo":         `{"serverErrors":1}`,
		"wrong case":   `{"ServerError":1}`,
		"above one":    `{"serverError":1.5}`,
		"negative":     `{"slow":-0.1}`,
		"bad duration": `{"slowDelay":"soon"}`,
		"neg duration": `{"slowDelay":"-1s"}`,
	} {
		if status, _ := e.simCall(http.MethodPost, "/sim/faults", b); status != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", name, status)
		}
	}
	if got := e.sim.Faults(); got != (Faults{Slow: 1, SlowDelay: 250 * time.Millisecond}) {
		t.Errorf("rejected bodies changed faults: %+v", got)
	}
}

func TestSimRevokeTokensAndNoLimits(t *testing.T) {
	e := newEnv(t, Config{RatePerMinute: 1, Burst: 1, Now: newFakeClock().Now})
	for range 20 { // far beyond the bucket: /sim/ is not limited
		if status, _ := e.simCall(http.MethodGet, "/sim/stats", ""); status != http.StatusOK {
			t.Fatalf("/sim/stats: %d", status)
		}
	}
	if status, _ := e.simCall(http.MethodPost, "/sim/revoke-tokens", ""); status != http.StatusNoContent {
		t.Fatalf("revoke: %d", status)
	}
	if status, _ := e.add(number(1)); status != http.StatusUnauthorized {
		t.Errorf("after revoke: %d, want 401", status)
	}
}

func TestLogfReportsRequests(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	e := newEnv(t, Config{Logf: func(format string, args ...any) {
		mu.Lock()
		lines = append(lines, fmt.Sprintf(format, args...))
		mu.Unlock()
	}})
	e.sim.Seed(number(1))
	e.add(number(1))
	mu.Lock()
	defer mu.Unlock()
	if !slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, "POST "+e.contactsPath()+" -> 409") }) {
		t.Errorf("no log line for the 409; got %q", lines)
	}
}
