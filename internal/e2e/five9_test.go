package e2e

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/five9/five9sim"
	"github.com/dncsync/dncsync/internal/five9/window"
)

// startFive9 starts the Five9 simulator with its clock at at and returns the settings that point
// at it, the window read on its clock too (FIVE9_CLOCK_URL, the test-only setting).
func startFive9(t *testing.T, at time.Time) (*five9sim.Server, []string) {
	t.Helper()
	sim := five9sim.New(five9sim.Config{Seed: 5})
	sim.SetNow(at)
	u, base, stop := sim.Start()
	t.Cleanup(stop)
	return sim, []string{"FIVE9_URL=" + u, "FIVE9_USER=" + sim.Config().User, "FIVE9_PASSWORD=" + sim.Config().Password,
		"FIVE9_CLOCK_URL=" + base + "/sim/clock", "FIVE9_RATE_LIMIT_RPM=6000"}
}

// TestFive9WaitsForItsWindow runs CXone and Five9 on Five9's clock at noon Pacific: opt-outs reach
// CXone at once and wait for Five9, whose status says so, with no request sent, no attempt spent
// and nothing dead. When Five9's clock reaches 23:00 PT they reach Five9.
func TestFive9WaitsForItsWindow(t *testing.T) {
	cx, env := startSim(t, 30000)
	f9, fenv := startFive9(t, time.Date(2026, 1, 15, 12, 0, 0, 0, window.Pacific))
	env = append(env, fenv...)
	env = append(env, "DNCSYNC_DESTINATIONS=cxone,five9", "DNCSYNC_ADMIN_TOKEN="+destAdminToken, "DNCSYNC_DATA_DIR="+t.TempDir())
	p := startServe(t, env...)
	var want []string
	for i := range 5 {
		n := fmt.Sprintf("+1415555%04d", 3000+i)
		if code, body, err := p.post(fmt.Sprintf(`{"phoneNumber":%q}`, n)); err != nil || code != 200 {
			t.Fatalf("opt-out %s: %d %s %v", n, code, body, err)
		}
		want = append(want, n)
	}
	waitForList(t, cx, want, 30*time.Second)

	const waiting = "waiting for Five9's window (opens 23:00 PT)"
	var st windowStatusJSON
	waitFor(t, "the status to say Five9 waits for its window", func() bool {
		adminGet(t, p, "/v1/status", &st)
		f := st.Destinations["five9"]
		return f.Waiting == waiting && f.Depth == int64(len(want)) && st.Destinations["cxone"].Depth == 0
	})
	if f := st.Destinations["five9"]; f.Dead != 0 || f.Leased != 0 || f.WindowOpensAt == nil ||
		!f.WindowOpensAt.Equal(time.Date(2026, 1, 15, 23, 0, 0, 0, window.Pacific)) {
		t.Fatalf("five9 while waiting: %+v: want every number ready, none claimed, the window at 23:00 PT", f)
	}
	a := getNumber(t, p, want[0])
	for _, r := range a.History {
		if r.Destination == "five9" { // a push record: failed, dead or confirmed

			t.Fatalf("%s: a %q record for five9 while its window is closed: %+v", want[0], r.Kind, a.History)
		}
	}
	if a.Destinations["cxone"].State != "synced" || a.Destinations["five9"].State != "pending" || a.Destinations["five9"].LastError != "" {
		t.Fatalf("%s while Five9's window is closed: %+v", want[0], a.Destinations)
	}
	if s := f9.Stats(); s.Requests[five9sim.OpAdd] != nil || s.OutsideWindow != 0 {
		t.Fatalf("additions were sent outside the window: %+v", s.Requests)
	}
	// The console says it, and the metric that keeps the stopped-push alert quiet is up.
	if page := getText(t, p.url+"/", destAdminToken); !strings.Contains(page, "window (opens 23:00 PT)") {
		t.Fatalf("the console does not say Five9 waits for its window:\n%s", page)
	}
	if m := getText(t, p.url+"/metrics", ""); !strings.Contains(m, `dncsync_window_closed{destination="five9"} 1`) {
		t.Fatalf("metrics lack dncsync_window_closed{destination=\"five9\"} 1")
	}
	out, errOut, code := runCmd(t, []string{"DNCSYNC_ADMIN_TOKEN=" + destAdminToken, "DNCSYNC_DESTINATIONS=cxone,five9"}, "",
		"status", "--server", p.url)
	if code != 0 || !strings.Contains(out, waiting) {
		t.Fatalf("dncsync status: exit %d\n%s%s", code, out, errOut)
	}

	f9.SetNow(time.Date(2026, 1, 15, 23, 0, 5, 0, window.Pacific))
	waitFor(t, "the numbers to reach Five9 in its window", func() bool { return len(f9.List()) == len(want) })
	waitFor(t, "the status to stop waiting", func() bool {
		adminGet(t, p, "/v1/status", &st)
		f := st.Destinations["five9"]
		return f.Waiting == "" && f.Depth == 0
	})
	if a := getNumber(t, p, want[0]); a.State != "synced" || a.Destinations["five9"].State != "synced" {
		t.Fatalf("%s after the window opened: %+v", want[0], a)
	}
	if f9.List()[0] != "4155553000" {
		t.Fatalf("five9 list %v: want 10-digit numbers", f9.List())
	}
}

type windowStatusJSON struct {
	Destinations map[string]struct {
		Depth         int64      `json:"depth"`
		Leased        int64      `json:"inFlight"`
		Dead          int64      `json:"deadLetters"`
		Waiting       string     `json:"waiting"`
		WindowOpensAt *time.Time `json:"windowOpensAt"`
	} `json:"destinations"`
}

// TestFive9Doctor: `doctor --destination five9` checks the login and the DNC permission on the
// simulator, and says when additions wait for the window.
func TestFive9Doctor(t *testing.T) {
	_, env := startSim(t, 6000)
	_, fenv := startFive9(t, time.Date(2026, 7, 15, 12, 0, 0, 0, window.Pacific))
	env = append(env, fenv...)
	env = append(env, "DNCSYNC_DESTINATIONS=cxone,five9")
	code, out, _, results := doctorSummary(t, env, "--destination", "five9")
	if code != 0 || results["login"] != "ok" || results["dnc permission"] != "ok" || !strings.Contains(out, "wait until 23:00 PT") {
		t.Fatalf("doctor --destination five9: exit %d %v\n%s", code, results, out)
	}
	if strings.Contains(out, "five9sim-password") {
		t.Fatalf("the doctor printed the password:\n%s", out)
	}
}

// getText GETs url (with the bearer token, if any) and returns its body; it fails on a status
// other than 200.
func getText(t *testing.T, url, token string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e2eClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", url, resp.StatusCode, b)
	}
	return string(b)
}
