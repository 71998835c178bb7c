package e2e

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/cxone/cxonesim"
	"github.com/dncsync/dncsync/internal/genesys/genesyssim"
	"github.com/dncsync/dncsync/internal/simfault"
	"github.com/dncsync/dncsync/internal/stdwebhook"
	"github.com/dncsync/dncsync/internal/webhook/webhooksim"
)

// The wire guesses of issue 16: what a destination's refusal, date or setup says, read from
// outside through the real binary against the simulators.

// wireEnv is what every test here runs serve with: intake by token, the /v1 API, an embedded
// store, and numbers held for the deployment's fault retried quickly.
func wireEnv(t *testing.T) []string {
	return []string{"DNCSYNC_WEBHOOK_AUTH=token", "DNCSYNC_WEBHOOK_TOKEN=" + webhookToken, "DNCSYNC_ADMIN_TOKEN=" + destAdminToken,
		"DNCSYNC_BATCH_LINGER=20ms", "DNCSYNC_RETRY_BACKOFF=200ms", "DNCSYNC_CONFIG_WAIT=300ms",
		"DNCSYNC_DATA_DIR=" + t.TempDir()}
}

func deadLetters(t *testing.T, p *proc) int64 {
	t.Helper()
	var st struct {
		Dead int64 `json:"deadLetters"`
	}
	adminGet(t, p, "/v1/status", &st)
	return st.Dead
}

func postOK(t *testing.T, p *proc, body string) {
	t.Helper()
	if code, resp, err := p.post(body); err != nil || code != 200 {
		t.Fatalf("post %s: %d %s %v", body, code, resp, err)
	}
}

// refusalHeld posts one number while the destination refuses every request (refuse(true)),
// waits until it was refused at least three times (refusals counts them) and checks that it is
// pending, not dead; then the destination takes requests again (refuse(false)) and the number
// must reach its list (listed).
func refusalHeld(t *testing.T, p *proc, refuse func(bool), refusals func() int, listed func(string) bool) {
	t.Helper()
	const n = "+14155550142"
	refuse(true)
	postOK(t, p, `{"phoneNumber":"`+n+`"}`)
	waitFor(t, "three refusals", func() bool { return refusals() >= 3 })
	if d := deadLetters(t, p); d != 0 {
		t.Fatalf("a one-number batch the destination refused without a reason was dead-lettered (%d dead)", d)
	}
	if a := getNumber(t, p, n); a.State != "pending" {
		t.Fatalf("number %+v: want pending while the destination refuses everything", a)
	}
	refuse(false)
	waitFor(t, "the number to reach the list once the destination takes it", func() bool { return listed(n) })
	if d := deadLetters(t, p); d != 0 {
		t.Fatalf("%d dead letters", d)
	}
}

// A batch of one number refused at request level (CXone v2 400, Genesys 400 invalid.value, a
// webhook receiver's "rejected") while the destination takes nothing else is held, not
// dead-lettered, and reaches the list once the destination takes requests again.
func TestWireOneNumberRefusalIsHeld(t *testing.T) {
	t.Run("cxone", func(t *testing.T) {
		sim, env := startSim(t, 30000)
		p := startServe(t, append(env, wireEnv(t)...)...)
		refusalHeld(t, p, func(on bool) {
			if on {
				sim.SetRefuse(func(string) bool { return true })
			} else {
				sim.SetRefuse(nil)
			}
		}, func() int { return sim.Stats().Requests[cxonesim.KindV2Add][400] }, sim.Has)
	})
	t.Run("genesys", func(t *testing.T) {
		g, genv := startGenesys(t, 6000)
		p := startServe(t, append(append(genv, wireEnv(t)...), "DNCSYNC_DESTINATIONS=genesys")...)
		refusalHeld(t, p, func(on bool) {
			if on {
				g.SetRefuse(func(string) bool { return true })
			} else {
				g.SetRefuse(nil)
			}
		}, func() int { return g.Stats().Requests[genesyssim.KindPatch][400] }, g.Has)
	})
	t.Run("webhook", func(t *testing.T) {
		w, wenv := startReceiver(t, webhooksim.Config{})
		p := startServe(t, append(wenv, wireEnv(t)...)...)
		refusalHeld(t, p, func(on bool) {
			if on {
				w.SetReject(func(string) bool { return true })
			} else {
				w.SetReject(nil)
			}
		}, func() int { return w.Stats().Rejected }, w.Has)
	})
}

// A number the destination keeps refusing while it takes others is dead-lettered, once another
// batch got a number through after the first refusal: then the refusal is the number's.
func TestWireRefusedNumberDeadLettersOnceOthersGetThrough(t *testing.T) {
	sim, env := startSim(t, 30000)
	p := startServe(t, append(env, wireEnv(t)...)...)
	const bad, good = "+14155550143", "+14155550144"
	sim.SetRefuse(func(n string) bool { return n == bad })
	postOK(t, p, `{"phoneNumber":"`+bad+`"}`)
	waitFor(t, "the first refusal settled", func() bool { return len(getNumber(t, p, bad).History) > 1 })
	if a := getNumber(t, p, bad); a.State != "pending" {
		t.Fatalf("after its first refusal, with nothing accepted since: %+v, want pending", a)
	}
	postOK(t, p, `{"phoneNumber":"`+good+`"}`)
	waitFor(t, "the refused number to be dead-lettered", func() bool { return getNumber(t, p, bad).State == "dead" && sim.Has(good) })
	if !sim.Has(good) || sim.Has(bad) || deadLetters(t, p) != 1 {
		t.Fatalf("list %v, %d dead: want the good number listed and the refused one dead", sim.List(), deadLetters(t, p))
	}
}

// reconcileReport runs `reconcile --dry-run --json` against p.
func reconcileReport(t *testing.T, p *proc, env []string) []string {
	t.Helper()
	cmd := exec.Command(binPath, "reconcile", "--server", p.url, "--dry-run", "--json")
	cmd.Env = append(cleanEnv(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("reconcile: %v\n%s", err, out)
	}
	var r struct {
		Missing []string `json:"missing"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("reconcile --json: %v\n%s", err, out)
	}
	return r.Missing
}

// An expiredDate in the US form a tenant's locale gives ("1/2/2031 12:00:00 AM") is read: a
// record that ended is missing, and reconcile re-adds its number. One in no known shape counts as
// ended too (reconcile re-asserts it) and is logged once.
func TestWireCXoneExpiredDateShapes(t *testing.T) {
	sim, env := startAdminSim(t, 30000)
	p := startServe(t, append(env, "DNCSYNC_DATA_DIR="+t.TempDir())...)
	const ended, far = "+14155550145", "+14155550146"
	for _, n := range []string{ended, far} {
		postOK(t, p, `{"phoneNumber":"`+n+`"}`)
	}
	waitFor(t, "both synced", func() bool {
		_, a := lookupNumber(t, p, ended)
		_, b := lookupNumber(t, p, far)
		return a.State == "synced" && b.State == "synced"
	})
	if m := reconcileReport(t, p, env); len(m) != 0 {
		t.Fatalf("missing %v before anything changed", m)
	}
	sim.SetExpiry(ended, time.Now().Add(-48*time.Hour)) // the record ended behind dncsync's back
	sim.SetExpiry(far, time.Now().Add(365*24*time.Hour))
	for _, layout := range []string{"1/2/2006 3:04:05 PM", "1/2/2006", "01/02/2006 15:04:05"} {
		sim.SetExpiredDateLayout(layout)
		if m := reconcileReport(t, p, env); !slices.Equal(m, []string{ended}) {
			t.Fatalf("expiredDate as %q: missing %v, want the ended record's number", layout, m)
		}
	}
	sim.SetExpiredDateLayout("02.01.2006") // a shape nobody documented: trusted to be no end before
	for range 2 {
		if m := reconcileReport(t, p, env); !slices.Equal(m, []string{ended, far}) {
			t.Fatalf("unreadable expiredDate: missing %v, want both re-asserted", m)
		}
	}
	p.kill() // its log is complete
	if n := strings.Count(p.stderr.String(), "expiredDate in a shape dncsync does not read"); n != 1 {
		t.Fatalf("the unreadable shape was logged %d times, want once:\n%s", n, p.stderr)
	}
}

// `dncsync doctor --destination genesys` fails loudly when no outbound campaign checks the list
// (numbers written to it block no call) and when the list is for WhatsApp or e-mail.
func TestWireGenesysDoctor(t *testing.T) {
	g, env := startGenesys(t, 6000)
	code, out, names, _ := doctorSummary(t, env, "--destination", "genesys")
	if code != 0 || !slices.Equal(names, []string{"settings", "login", "dnc list", "campaigns"}) ||
		!strings.Contains(out, `"dncsync-sim campaign" (on)`) {
		t.Fatalf("healthy setup: exit %d, checks %v\n%s", code, names, out)
	}
	g.SetCampaigns()
	code, out, _, res := doctorSummary(t, env, "--destination", "genesys")
	if code != 1 || !strings.Contains(res["campaigns"], "no outbound campaign checks DNC list") || res["dnc list"] != "ok" ||
		!strings.Contains(out, "WARNING") {
		t.Fatalf("no campaign: exit %d %v\n%s", code, res, out)
	}
	for _, method := range []string{"WhatsApp", "Email"} {
		id := "list-" + method
		g.AddList(genesyssim.ListInfo{ID: id, Name: method, SourceType: genesyssim.SourceInternal, ContactMethod: method})
		g.SetCampaigns(genesyssim.Campaign{ID: "c1", Name: "outbound", Status: "on", DNCLists: []string{id}})
		code, out, _, res = doctorSummary(t, append(env, "GENESYS_DNC_LIST_ID="+id), "--destination", "genesys")
		if code != 1 || !strings.Contains(res["dnc list"], `contact method is "`+method+`"`) || res["campaigns"] != "ok" {
			t.Fatalf("a %s list: exit %d %v\n%s", method, code, res, out)
		}
	}
}

// startReceiver serves the webhook simulator and returns the settings that make it the only
// destination.
func startReceiver(t *testing.T, cfg webhooksim.Config) (*webhooksim.Server, []string) {
	t.Helper()
	w := webhooksim.New(cfg)
	u, stop := w.Start()
	t.Cleanup(stop)
	return w, []string{"DNCSYNC_DESTINATIONS=webhook", "DNCSYNC_WEBHOOK_DEST_URL=" + u,
		"DNCSYNC_WEBHOOK_DEST_SECRET=" + w.Config().Secrets, "DNCSYNC_WEBHOOK_DEST_RATE_LIMIT_RPM=30000"}
}

// The webhook destination through the binary, with answers lost after the receiver applied them:
// a retry carries its delivery's webhook-id (the receiver answers it from memory instead of
// applying it twice), every request carries each number's occurredAt and the events' time, and
// the list converges. Numbers go one at a time, so that a retry is the same delivery.
func TestWireWebhookDeliveries(t *testing.T) {
	w, wenv := startReceiver(t, webhooksim.Config{Seed: 3})
	w.SetFaults(simfault.Faults{LostAfterApply: 0.5})
	p := startServe(t, append(wenv, wireEnv(t)...)...)
	var want []string
	for i := range 12 {
		n := fmt.Sprintf("+1415555%04d", 300+i)
		want = append(want, n)
		postOK(t, p, fmt.Sprintf(`{"phoneNumber":%q,"occurredAt":"2026-01-01T00:00:%02d.5Z"}`, n, i))
		waitFor(t, "its confirmation", func() bool { return getNumber(t, p, n).State == "synced" })
	}
	if !slices.Equal(w.List(), want) {
		t.Fatalf("receiver's list %v, want %v", w.List(), want)
	}
	st := w.Stats()
	if st.FaultsInjected[simfault.FaultLostAfterApply] == 0 {
		t.Fatal("no answer was lost: the test proves nothing")
	}
	if st.Duplicates == 0 || st.IDReused != 0 || st.Requests[webhooksim.KindDeliver][400] != 0 {
		t.Fatalf("stats %+v: want retries answered as duplicates of their delivery, no id reused, no request refused", st)
	}
	for _, n := range want[:3] {
		if e, _ := w.Entry(n); e.OccurredAt.IsZero() || e.OccurredAt.Year() != 2026 {
			t.Fatalf("entry %+v: want the time the person asked", e)
		}
	}

	// A removal asked later than the add wins at the receiver, by occurredAt.
	postOK(t, p, fmt.Sprintf(`{"phoneNumber":%q,"action":"remove","occurredAt":"2026-01-02T00:00:00Z"}`, want[0]))
	waitFor(t, "the removal", func() bool { return !w.Has(want[0]) })
}

// A signing secret outside the 24 to 64 bytes the Standard Webhooks specification asks for stops
// serve at start, saying what to set.
func TestWireWebhookSecretLength(t *testing.T) {
	_, wenv := startReceiver(t, webhooksim.Config{})
	for _, n := range []int{16, 65} {
		env := append(append(slices.Clone(wenv), wireEnv(t)...), "DNCSYNC_WEBHOOK_DEST_SECRET="+stdwebhook.FormatSecret(make([]byte, n)))
		cmd := exec.Command(binPath, "serve")
		cmd.Env = append(cleanEnv(), append(env, "PORT=0")...)
		out, err := cmd.CombinedOutput()
		if exitCode(err) == 0 || !strings.Contains(string(out), "DNCSYNC_WEBHOOK_DEST_SECRET") || !strings.Contains(string(out), "24 to 64") {
			t.Fatalf("a %d-byte secret: exit %d\n%s", n, exitCode(err), out)
		}
	}
}
