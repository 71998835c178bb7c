package cxonesim

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestSimGroupSeedDelete(t *testing.T) {
	e := newAdminEnv(t, Config{})
	if status, body := e.simCall(http.MethodGet, "/sim/group", ""); status != http.StatusOK || strings.TrimSpace(string(body)) != `{"numbers":[]}` {
		t.Fatalf("empty group: %d %s", status, body)
	}
	if status, body := e.simCall(http.MethodPost, "/sim/group/seed", `{"numbers":["+442071234567","`+number(1)+`"]}`); status != http.StatusNoContent {
		t.Fatalf("seed: %d %s", status, body)
	}
	if res := searchResults(t, e, "442071234567"); len(res) != 1 {
		t.Errorf("seeded number not found by the API: %+v", res)
	}
	var got numbersBody
	_, body := e.simCall(http.MethodGet, "/sim/group", "")
	mustJSON(t, body, &got)
	if !slices.Equal(got.Numbers, []string{number(1), "+442071234567"}) {
		t.Errorf("group %v", got.Numbers)
	}
	// One list: the v2 name sees the same numbers.
	_, v2body := e.simCall(http.MethodGet, "/sim/list", "")
	if string(v2body) != string(body) {
		t.Errorf("/sim/list %s differs from /sim/group %s", v2body, body)
	}
	if status, _ := e.simCall(http.MethodPost, "/sim/group/delete", `{"numbers":["`+number(1)+`"]}`); status != http.StatusNoContent {
		t.Errorf("delete: %d", status)
	}
	if !slices.Equal(e.sim.GroupList(), []string{"+442071234567"}) {
		t.Errorf("after delete %v", e.sim.GroupList())
	}
	for name, b := range map[string]string{
		"digits, not E.164": `{"numbers":["4155550100"]}`,
		"unknown key":       `{"number":["+14155550100"]}`,
	} {
		if status, _ := e.simCall(http.MethodPost, "/sim/group/seed", b); status != http.StatusBadRequest {
			t.Errorf("seed %s: %d, want 400", name, status)
		}
	}
	if _, ok := e.sim.Stats().Requests[KindAdminList]; ok {
		t.Error("/sim/group was counted as an API call")
	}
}
