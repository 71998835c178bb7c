package e2e

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/poll"
	"github.com/dncsync/dncsync/internal/redistest"
)

// scopedNumber is /v1/numbers as the scope test reads it: each record's destination and scope.
type scopedNumber struct {
	Destinations map[string]destJSON `json:"destinations"`
	History      []struct {
		Kind           string `json:"kind"`
		Action         string `json:"action"`
		Destination    string `json:"destination"`
		ConsentChannel string `json:"consentChannel"`
		Policy         string `json:"policy"`
	} `json:"history"`
}

// TestDestinationScopesEndToEnd runs CXone (every channel) and an SMS-scoped Genesys list
// (GENESYS_SCOPE=sms) through the real binary. Before revoke-all, a voice opt-out reaches CXone
// only, an sms or an all opt-out both, an sms consent lifts an sms opt-out from both but not an
// opt-out of all; after (DNCSYNC_REVOKE_ALL=on) a voice opt-out reaches both. Each list ends exactly
// as it should, and each confirmation says which scope put the number there.
func TestDestinationScopesEndToEnd(t *testing.T) {
	for _, store := range []string{"embedded", "redis"} {
		t.Run(store, func(t *testing.T) { testDestinationScopes(t, store) })
	}
}

func testDestinationScopes(t *testing.T, store string) {
	cx, env := startSim(t, 30000)
	g, genv := startGenesys(t, 6000)
	env = append(append(env, genv...), "DNCSYNC_DESTINATIONS=cxone,genesys", "GENESYS_SCOPE=sms",
		"DNCSYNC_ADMIN_TOKEN="+destAdminToken)
	if store == "redis" { // the routing reaches the store as the Lua script's list of lanes
		env = append(env, "REDIS_URL="+redistest.Start(t).URL())
	} else {
		env = append(env, "DNCSYNC_DATA_DIR="+t.TempDir())
	}
	out := func(n, channel string) string {
		return fmt.Sprintf(`{"phoneNumber":%q,"consentChannel":%q,"eventId":"out-%s","occurredAt":"2026-01-01T00:00:00Z"}`,
			n, channel, n)
	}
	back := func(n, channel string) string {
		return fmt.Sprintf(`{"phoneNumber":%q,"action":"remove","consentChannel":%q,"eventId":"in-%s","occurredAt":"2026-02-01T00:00:00Z"}`,
			n, channel, n)
	}
	before := startServe(t, append(env, "DNCSYNC_REVOKE_ALL=off")...)
	postOK(t, before, out("+14155550401", "voice"))
	postOK(t, before, out("+14155550402", "sms"))
	postOK(t, before, out("+14155550403", ""))
	postOK(t, before, out("+14155550404", "all"))
	postOK(t, before, back("+14155550404", "sms")) // a START does not lift an opt-out of every channel
	postOK(t, before, out("+14155550405", "sms"))
	postOK(t, before, back("+14155550405", "sms")) // texts back after a texts-only opt-out: off both
	drained(t, before)
	before.kill()

	after := startServe(t, append(env, "DNCSYNC_REVOKE_ALL=on")...)
	postOK(t, after, out("+14155550406", "voice"))
	drained(t, after)
	waitForList(t, cx, []string{"+14155550401", "+14155550402", "+14155550403", "+14155550404", "+14155550406"}, 30*time.Second)
	waitForGenesys(t, g, []string{"+14155550402", "+14155550403", "+14155550404", "+14155550406"}, 30*time.Second)

	// Status shows each destination's scope.
	var st struct {
		Destinations map[string]struct {
			Scope string `json:"scope"`
		} `json:"destinations"`
	}
	adminGet(t, after, "/v1/status", &st)
	if st.Destinations["cxone"].Scope != "all" || st.Destinations["genesys"].Scope != "sms" {
		t.Fatalf("status scopes %+v, want cxone all, genesys sms", st.Destinations)
	}
	text, errOut, code := runCmd(t, []string{"DNCSYNC_ADMIN_TOKEN=" + destAdminToken}, "", "status", "--server", after.url)
	if code != 0 || !regexp.MustCompile(`(?m)^genesys +sms +0 `).MatchString(text) {
		t.Fatalf("dncsync status: exit %d, want a genesys line with its scope:\n%s%s", code, text, errOut)
	}

	var a scopedNumber
	adminGet(t, after, "/v1/numbers/+14155550401", &a)
	if _, ok := a.Destinations["genesys"]; ok || a.Destinations["cxone"].State != "synced" {
		t.Fatalf("voice opt-out before revoke-all: destinations %+v, want cxone alone", a.Destinations)
	}
	for n, want := range map[string]string{"+14155550402": "sms,scoped", "+14155550406": "voice,revoke_all"} {
		adminGet(t, after, "/v1/numbers/"+n, &a)
		got := map[string]string{}
		for _, r := range a.History {
			if r.Kind == "confirmed" && r.Action == "add" {
				got[r.Destination] = r.ConsentChannel + "," + r.Policy
			}
		}
		if got["cxone"] != want || got["genesys"] != want {
			t.Fatalf("%s: confirmations by destination %v, want each to show %s", n, got, want)
		}
	}
}

// drained waits until both destinations' queues are empty.
func drained(t *testing.T, p *proc) {
	t.Helper()
	var st statusJSON
	if !poll.Within(30*time.Second, func() bool {
		st = getStatus(t, p)
		return st.Depth == 0 && st.Destinations["cxone"].Depth == 0 && st.Destinations["genesys"].Depth == 0
	}) {
		t.Fatalf("queues never drained: %+v", st)
	}
}
