package cxonesim

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAddApplies(t *testing.T) {
	clock := newFakeClock()
	e := newEnv(t, Config{Now: clock.Now})
	var mu sync.Mutex
	var changes []Change
	e.sim.OnChange(func(c Change) { mu.Lock(); changes = append(changes, c); mu.Unlock() })

	status, body := e.add(number(2), number(1))
	if status != http.StatusCreated {
		t.Fatalf("add: %d %s", status, body)
	}
	var got v2Count
	mustJSON(t, body, &got)
	if got.Count != 2 {
		t.Errorf("count = %d, want 2", got.Count)
	}
	if l := e.sim.List(); !slices.Equal(l, []string{number(1), number(2)}) {
		t.Errorf("List = %v", l)
	}
	ent, ok := e.sim.Entry(number(1))
	if !ok || ent.Reason != "opt-out" || ent.Source != "sms" || !ent.AddedAt.Equal(clock.Now()) {
		t.Errorf("Entry = %+v, %v", ent, ok)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []Change{{number(2), OpAdd, clock.Now()}, {number(1), OpAdd, clock.Now()}}
	if !slices.Equal(changes, want) {
		t.Errorf("changes = %v, want %v", changes, want)
	}
	if st := e.sim.Stats(); st.Added != 2 || st.Requests[KindV2Add][201] != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestAddValidation(t *testing.T) {
	e := newEnv(t, Config{})
	tooMany := make([]string, 51)
	for i := range tooMany {
		tooMany[i] = number(i)
	}
	path := e.contactsPath()
	cases := []struct {
		name, path, body string
		opts             []reqOpt
		status           int
		errHas           string
	}{
		{"unknown list", "/api/v2/outbound/dnc-lists/nope/contacts", addBody(number(1)), nil, 404, "not found"},
		{"not json", path, `{"contacts":`, nil, 400, "JSON"},
		{"trailing data", path, addBody(number(1)) + "{}", nil, 400, ""},
		{"not an object", path, `[1]`, nil, 400, "object"},
		{"empty contacts", path, `{"contacts":[]}`, nil, 400, "empty"},
		{"missing contacts", path, `{}`, nil, 400, "empty"},
		{"too many", path, addBody(tooMany...), nil, 400, "too many"},
		{"no plus", path, addBody("14155550100"), nil, 400, `invalid phoneNumber "14155550100"`},
		{"leading zero", path, addBody("+04155550100"), nil, 400, "invalid phoneNumber"},
		{"too short", path, addBody("+123456"), nil, 400, "invalid phoneNumber"},
		{"too long", path, addBody("+1234567890123456"), nil, 400, "invalid phoneNumber"},
		{"formatted", path, addBody("+1 415 555 0100"), nil, 400, "invalid phoneNumber"},
		{"one bad among good", path, addBody(number(1), "+1abc5550100"), nil, 400, "invalid phoneNumber"},
		{"number not string", path, `{"contacts":[{"phoneNumber":14155550100}]}`, nil, 400, ""},
		{"duplicate", path, addBody(number(1), number(2), number(1)), nil, 400, "duplicate"},
		{"wrong case key", path, `{"contacts":[{"PhoneNumber":"+14155550100"}]}`, nil, 400, "unknown field"},
		{"unknown contact key", path, `{"contacts":[{"phoneNumber":"+14155550100","note":"x"}]}`, nil, 400, "unknown field"},
		{"unknown top key", path, `{"contacts":[],"listId":"x"}`, nil, 400, "unknown field"},
		{"no version", path, addBody(number(1)), []reqOpt{delHeader("X-CXone-Version")}, 400, "X-CXone-Version"},
		{"old version", path, addBody(number(1)), []reqOpt{setHeader("X-CXone-Version", "2022-01-01")}, 400, "X-CXone-Version"},
		{"form content type", path, addBody(number(1)), []reqOpt{setHeader("Content-Type", "application/x-www-form-urlencoded")}, 415, "Content-Type"},
		{"no content type", path, addBody(number(1)), []reqOpt{delHeader("Content-Type")}, 415, "Content-Type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, _, body := e.call(http.MethodPost, c.path, c.body, c.opts...)
			if status != c.status {
				t.Fatalf("status %d (%s), want %d", status, body, c.status)
			}
			if msg := errorOf(t, body); !strings.Contains(msg, c.errHas) {
				t.Errorf("error %q does not mention %q", msg, c.errHas)
			}
		})
	}
	if l := e.sim.List(); len(l) != 0 {
		t.Errorf("rejected requests changed the list: %v", l)
	}
	// charset parameters are fine.
	status, _, body := e.call(http.MethodPost, path, addBody(number(1)), setHeader("Content-Type", "application/json; charset=utf-8"))
	if status != http.StatusCreated {
		t.Errorf("json with charset: %d %s", status, body)
	}
}

func TestMaxBatchConfigurable(t *testing.T) {
	e := newEnv(t, Config{MaxBatch: 3})
	if status, body := e.add(number(1), number(2), number(3), number(4)); status != http.StatusBadRequest {
		t.Fatalf("4 > MaxBatch 3: %d %s", status, body)
	}
	if status, body := e.add(number(1), number(2), number(3)); status != http.StatusCreated {
		t.Fatalf("3 = MaxBatch: %d %s", status, body)
	}
}

func TestAddConflictAppliesNothing(t *testing.T) {
	e := newEnv(t, Config{})
	e.sim.Seed(number(1), number(3))
	changed := 0
	e.sim.OnChange(func(Change) { changed++ })

	status, body := e.add(number(3), number(2), number(1), number(4))
	if status != http.StatusConflict {
		t.Fatalf("status %d %s, want 409", status, body)
	}
	var got struct {
		Conflicts []v2Conflict `json:"conflicts"`
	}
	mustJSON(t, body, &got)
	want := []v2Conflict{{number(3), "already exists"}, {number(1), "already exists"}}
	if !slices.Equal(got.Conflicts, want) {
		t.Errorf("conflicts = %+v, want %+v", got.Conflicts, want)
	}
	if l := e.sim.List(); !slices.Equal(l, []string{number(1), number(3)}) {
		t.Errorf("409 applied something: list %v", l)
	}
	if changed != 0 {
		t.Errorf("%d changes reported for a 409", changed)
	}
	if st := e.sim.Stats(); st.Conflicts != 1 || st.Added != 0 {
		t.Errorf("Conflicts %d Added %d, want 1 0", st.Conflicts, st.Added)
	}
	// The non-conflicting rest goes through on its own.
	if status, body := e.add(number(2), number(4)); status != http.StatusCreated {
		t.Fatalf("rest: %d %s", status, body)
	}
}

func TestUpsert(t *testing.T) {
	clock := newFakeClock()
	e := newEnv(t, Config{Now: clock.Now})
	var changes []Change
	e.sim.OnChange(func(c Change) { changes = append(changes, c) })
	n := number(7)
	put := func(pathNumber, body string) (int, []byte) {
		status, _, b := e.call(http.MethodPut, e.contactsPath()+"/"+pathNumber, body)
		return status, b
	}

	status, body := put(n, `{"phoneNumber":"`+n+`","reason":"first"}`)
	if status != http.StatusOK || strings.TrimSpace(string(body)) != `{"count":1}` {
		t.Fatalf("create: %d %s", status, body)
	}
	added := clock.Now()
	clock.Advance(time.Minute)
	// Escaped "+" in the path is the same number.
	status, body = put("%2B"+n[1:], `{"phoneNumber":"`+n+`","reason":"second"}`)
	if status != http.StatusOK {
		t.Fatalf("update: %d %s", status, body)
	}
	ent, _ := e.sim.Entry(n)
	if ent.Reason != "second" || !ent.AddedAt.Equal(added) || !ent.UpdatedAt.Equal(clock.Now()) {
		t.Errorf("entry after update %+v", ent)
	}
	if len(changes) != 2 || changes[0].Op != OpAdd || changes[1].Op != OpUpdate {
		t.Errorf("changes %+v", changes)
	}

	bad := []struct {
		name, path, body string
		status           int
	}{
		{"mismatch", n, `{"phoneNumber":"` + number(8) + `","reason":"x"}`, 400},
		{"missing body number", n, `{"reason":"x"}`, 400},
		{"invalid path number", "4155550100", `{"phoneNumber":"4155550100"}`, 400},
		{"source not in contract", n, `{"phoneNumber":"` + n + `","reason":"x","source":"y"}`, 400},
		{"not json", n, `reason=x`, 400},
	}
	for _, c := range bad {
		if status, body := put(c.path, c.body); status != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, status, body, c.status)
		}
	}
	status, _, _ = e.call(http.MethodPut, "/api/v2/outbound/dnc-lists/nope/contacts/"+n, `{"phoneNumber":"`+n+`"}`)
	if status != http.StatusNotFound {
		t.Errorf("unknown list: %d", status)
	}
	if st := e.sim.Stats(); st.Upserts != 2 {
		t.Errorf("Upserts = %d, want 2", st.Upserts)
	}
	if ent, _ := e.sim.Entry(n); ent.Reason != "second" {
		t.Errorf("rejected upserts changed the entry: %+v", ent)
	}
}

func TestRemove(t *testing.T) {
	e := newEnv(t, Config{})
	e.sim.Seed(number(1), number(2))
	del := func(path string) int {
		status, _, _ := e.call(http.MethodDelete, path, "")
		return status
	}
	if got := del(e.contactsPath() + "/" + number(1)); got != http.StatusNoContent {
		t.Errorf("remove raw +: %d", got)
	}
	if got := del(e.contactsPath() + "/%2B" + number(2)[1:]); got != http.StatusNoContent {
		t.Errorf("remove escaped +: %d", got)
	}
	if got := del(e.contactsPath() + "/" + number(1)); got != http.StatusNotFound {
		t.Errorf("remove absent: %d, want 404", got)
	}
	if got := del(e.contactsPath() + "/not-a-number"); got != http.StatusBadRequest {
		t.Errorf("remove invalid: %d, want 400", got)
	}
	if got := del("/api/v2/outbound/dnc-lists/nope/contacts/" + number(1)); got != http.StatusNotFound {
		t.Errorf("unknown list: %d, want 404", got)
	}
	if got := del(e.contactsPath() + "/" + number(3) + "?x=1"); got != http.StatusNotFound {
		t.Errorf("absent with query: %d", got)
	}
	if len(e.sim.List()) != 0 || e.sim.Stats().Removes != 2 {
		t.Errorf("list %v, stats %+v", e.sim.List(), e.sim.Stats())
	}
}

func TestUnmatchedRoutesCounted(t *testing.T) {
	e := newEnv(t, Config{})
	if status, _, _ := e.call(http.MethodGet, e.contactsPath(), ""); status != http.StatusMethodNotAllowed {
		t.Errorf("GET contacts: %d, want 405", status)
	}
	if status, _, _ := e.call(http.MethodPost, "/api/v1/dnc", addBody(number(1))); status != http.StatusNotFound {
		t.Errorf("v1 path: %d, want 404", status)
	}
	got := e.sim.Stats().Requests[KindUnmatched]
	if got[405] != 1 || got[404] != 1 {
		t.Errorf("unmatched counts %v", got)
	}
}

func TestPlusInPathAcceptedForAllFormsOfNumber(t *testing.T) {
	e := newEnv(t, Config{})
	for i, form := range []string{"+", "%2B", "%2b"} {
		n := number(100 + i)
		status, _, body := e.call(http.MethodPut, e.contactsPath()+"/"+form+n[1:], fmt.Sprintf(`{"phoneNumber":%q}`, n))
		if status != http.StatusOK || !e.sim.Has(n) {
			t.Errorf("form %q: %d %s", form, status, body)
		}
	}
}
