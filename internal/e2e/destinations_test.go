package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/genesys/genesyssim"
	"github.com/dncsync/dncsync/internal/poll"
	"github.com/dncsync/dncsync/internal/redistest"
	"github.com/dncsync/dncsync/internal/simfault"
)

const destAdminToken = "e2e-admin-token-0123456789"

// startGenesys starts the Genesys Cloud simulator and returns the settings that point at it.
func startGenesys(t *testing.T, rpm int) (*genesyssim.Server, []string) {
	t.Helper()
	// Seed 20 rolls a lost-after-apply within the first five requests, so that the tests that need
	// a fault see one however few requests the pushes take (seed 7 rolled none before the 18th).
	g := genesyssim.New(genesyssim.Config{RatePerMinute: rpm, Seed: 20})
	h, stop := g.StartHosts()
	t.Cleanup(stop)
	c := g.Config()
	return g, []string{"GENESYS_LOGIN_URL=" + h.Login, "GENESYS_API_URL=" + h.API, "GENESYS_CLIENT_ID=" + c.ClientID,
		"GENESYS_CLIENT_SECRET=" + c.ClientSecret, "GENESYS_DNC_LIST_ID=" + c.DNCListID,
		fmt.Sprintf("GENESYS_RATE_LIMIT_RPM=%d", rpm), "GENESYS_MAX_BATCH=100"}
}

func waitForGenesys(t *testing.T, g *genesyssim.Server, want []string, within time.Duration) {
	t.Helper()
	w := append([]string(nil), want...)
	sort.Strings(w)
	var got []string
	if !poll.Within(within, func() bool { got = g.List(); sort.Strings(got); return slices.Equal(got, w) }) {
		missing, extra := diff(w, got)
		t.Fatalf("genesys list has %d numbers, want %d; missing %d (e.g. %v), extra %d (e.g. %v); sim %+v",
			len(got), len(w), len(missing), head(missing), len(extra), head(extra), g.Stats())
	}
}

// TestDestinationsEndToEnd sends opt-outs to CXone and Genesys Cloud at once through the real
// binary, with faults on the Genesys side and a SIGKILL mid-drain: each list ends exactly equal to
// the accepted numbers, and each number's evidence shows both confirmations.
func TestDestinationsEndToEnd(t *testing.T) {
	for _, store := range []string{"embedded", "redis"} {
		t.Run(store, func(t *testing.T) {
			cx, env := startSim(t, 30000)
			g, genv := startGenesys(t, 6000)
			g.SetFaults(simfault.Faults{RateLimit429: 0.05, RetryAfter: "1", ServerError: 0.05, LostAfterApply: 0.1,
				ExpireTokens: 0.03, HTMLError: 0.02})
			env = append(env, genv...)
			env = append(env, "DNCSYNC_DESTINATIONS=cxone,genesys", "DNCSYNC_ADMIN_TOKEN="+destAdminToken)
			if store == "redis" {
				env = append(env, "REDIS_URL="+redistest.Start(t).URL())
			} else {
				env = append(env, "DNCSYNC_DATA_DIR="+t.TempDir())
			}
			c := makeCorpus(600)
			half := len(c.bodies) / 2
			p := startServe(t, env...)
			arrived, release := cx.HoldRequests() // the first batch to reach CXone waits, unanswered
			accepted := send(t, p, c.bodies[:half], 8)
			inFlight(t, arrived)
			p.kill() // a crash with work queued for both destinations and a batch in flight
			release()
			p.start()
			for n := range send(t, p, c.bodies[half:], 8) {
				accepted[n] = true
			}
			sameSet(t, accepted, c.want)
			waitForList(t, cx, c.want, 90*time.Second)
			waitForGenesys(t, g, c.want, 90*time.Second)
			if st := g.Stats(); st.FaultsInjected[simfault.FaultLostAfterApply] == 0 {
				t.Fatalf("no fault was injected on the genesys side: %+v", st)
			}
			// A list can be complete before its last confirmation is recorded: an answer lost after
			// the write leaves the number pending until the retry confirms it.
			num := c.want[0]
			var a numberJSON
			if !poll.Within(60*time.Second, func() bool {
				a = getNumber(t, p, num)
				return a.State == "synced" && a.Destinations["cxone"].State == "synced" && a.Destinations["genesys"].State == "synced"
			}) {
				t.Fatalf("%s: state %q, destinations %+v: want synced at both", num, a.State, a.Destinations)
			}
			confirmed := map[string]bool{}
			for _, r := range a.History {
				if r.Kind == "confirmed" {
					confirmed[r.Destination] = true
				}
			}
			if !confirmed["cxone"] || !confirmed["genesys"] {
				t.Fatalf("%s: confirmations by destination %v, want both in the trail", num, confirmed)
			}
		})
	}
}

// TestDestinationDownLeavesOthersSynced runs with Genesys Cloud unreachable for the whole run:
// CXone gets every number, the Genesys queue holds every number, none is dead-lettered, and the
// service stays ready for intake.
func TestDestinationDownLeavesOthersSynced(t *testing.T) {
	cx, env := startSim(t, 30000)
	down := deadURL
	env = append(env, "DNCSYNC_DESTINATIONS=cxone,genesys", "DNCSYNC_ADMIN_TOKEN="+destAdminToken,
		"GENESYS_LOGIN_URL="+down, "GENESYS_API_URL="+down, "GENESYS_CLIENT_ID=id", "GENESYS_CLIENT_SECRET=secret-0123456789",
		"GENESYS_DNC_LIST_ID=list", "DNCSYNC_MAX_ATTEMPTS=2", "REDIS_URL="+redistest.Start(t).URL())
	p := startServe(t, env...)
	c := makeCorpus(300)
	accepted := send(t, p, c.bodies, 8)
	sameSet(t, accepted, c.want)
	waitForList(t, cx, c.want, 60*time.Second)

	// Every Genesys push fails (no answer: transient). Wait until a number's trail holds more
	// failed pushes to Genesys than DNCSYNC_MAX_ATTEMPTS=2: it must still wait, not die. (CXone's
	// list can be complete a moment before its confirmations are recorded: wait for its queue to
	// empty too.)
	var st statusJSON
	var a numberJSON
	failed := 0
	if !poll.Within(60*time.Second, func() bool {
		st = getStatus(t, p)
		a = getNumber(t, p, c.want[0])
		failed = 0
		for _, r := range a.History {
			if r.Kind == "failed" && r.Destination == "genesys" {
				failed++
			}
		}
		g, x := st.Destinations["genesys"], st.Destinations["cxone"]
		return g.Depth == int64(len(c.want)) && x.Depth == 0 && failed > 2
	}) {
		t.Fatalf("genesys never held every number through 3 failures: %+v, %d failures of %s (%d requests without answer)",
			st.Destinations, failed, c.want[0], pushErrors(t, p))
	}
	if g, x := st.Destinations["genesys"], st.Destinations["cxone"]; g.Dead != 0 || x.Depth != 0 || x.Dead != 0 {
		t.Fatalf("status %+v: want cxone drained, genesys waiting with no dead letters", st.Destinations)
	}
	if a.State != "pending" || a.Destinations["cxone"].State != "synced" || a.Destinations["genesys"].State != "pending" ||
		a.Destinations["genesys"].LastError == "" {
		t.Fatalf("number %+v: want pending overall, synced at cxone, pending at genesys with its error", a)
	}
	code, checks := p.readyzUntil(t, 200, 5*time.Second)
	if code != 200 || checks["genesys"] == "ok" || checks["cxone"] != "ok" {
		t.Fatalf("readyz %d %v: intake stays ready while one destination is down, and says which", code, checks)
	}
}

type destJSON struct {
	State     string `json:"state"`
	LastError string `json:"lastError"`
}

type numberJSON struct {
	State        string              `json:"state"`
	Destinations map[string]destJSON `json:"destinations"`
	History      []struct {
		Kind        string `json:"kind"`
		Destination string `json:"destination"`
	} `json:"history"`
}

func getNumber(t *testing.T, p *proc, number string) numberJSON {
	t.Helper()
	var a numberJSON
	adminGet(t, p, "/v1/numbers/"+number, &a)
	return a
}

type statusJSON struct {
	Depth        int64 `json:"depth"`
	Destinations map[string]struct {
		Depth int64 `json:"depth"`
		Dead  int64 `json:"deadLetters"`
	} `json:"destinations"`
}

func getStatus(t *testing.T, p *proc) statusJSON {
	t.Helper()
	var st statusJSON
	adminGet(t, p, "/v1/status", &st)
	return st
}

func adminGet(t *testing.T, p *proc, path string, into any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, p.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+destAdminToken)
	resp, err := e2eClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		t.Fatal(err)
	}
}

// pushErrors counts the requests to Genesys that got no answer, from the metrics.
func pushErrors(t *testing.T, p *proc) int {
	t.Helper()
	resp, err := e2eClient.Get(p.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, `dncsync_push_requests_total{destination="genesys",status="error"} `) {
			var n float64
			fmt.Sscan(strings.Fields(line)[1], &n)
			return int(n)
		}
	}
	return 0
}

// TestToolsUseTheServiceDestinations: a tool that opens the store directly with fewer destinations
// than the service runs with is refused (its numbers would never reach the others); with the same
// list, an import queues for every destination and both lists get the numbers.
func TestToolsUseTheServiceDestinations(t *testing.T) {
	cx, env := startSim(t, 30000)
	g, genv := startGenesys(t, 6000)
	redisURL := redistest.Start(t).URL()
	env = append(append(env, genv...), "DNCSYNC_DESTINATIONS=cxone,genesys", "REDIS_URL="+redisURL)
	startServe(t, env...)

	path, want := importFile(t, 300)
	_, errOut, code := runCmd(t, []string{"REDIS_URL=" + redisURL}, "", "import", path)
	if code == 0 || !strings.Contains(errOut, "DNCSYNC_DESTINATIONS=cxone,genesys") {
		t.Fatalf("import with the default destinations: exit %d, stderr %q; want a refusal naming the service's list", code, errOut)
	}
	out, errOut, code := runCmd(t, []string{"REDIS_URL=" + redisURL, "DNCSYNC_DESTINATIONS=cxone,genesys"}, "", "import", path)
	if code != 0 {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, errOut)
	}
	waitForList(t, cx, want, 60*time.Second)
	waitForGenesys(t, g, want, 60*time.Second)
}
