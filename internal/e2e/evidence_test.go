package e2e

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/cxone/cxonesim"
)

const adminToken = "e2e-admin-token-0123456789"

func getJSON(t *testing.T, url, token string, v any) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil {
		json.NewDecoder(resp.Body).Decode(v)
	}
	return resp.StatusCode
}

// TestEvidenceEndToEnd: add, confirm, remove, confirm absent; the lookup shows the whole history in
// order, through the API and the lookup command; the export has every record.
func TestEvidenceEndToEnd(t *testing.T) {
	sim, env := startSim(t, 6000)
	dir := t.TempDir()
	p := startServe(t, append(env, "DNCSYNC_DATA_DIR="+dir, "DNCSYNC_ADMIN_TOKEN="+adminToken)...)
	const num = "+14155552671"
	if code, body, err := p.post(`{"phoneNumber":"(415) 555-2671","source":"web","occurredAt":"2026-01-02T03:04:05Z"}`); err != nil || code != 200 {
		t.Fatalf("add: %d %s %v", code, body, err)
	}
	waitFor(t, "the add to reach CXone", func() bool { return sim.Has(num) })
	if code, body, err := p.post(`{"phoneNumber":"+1 415 555 2671","action":"remove","occurredAt":"2026-01-03T00:00:00Z"}`); err != nil || code != 200 {
		t.Fatalf("remove: %d %s %v", code, body, err)
	}
	waitFor(t, "the remove to reach CXone", func() bool { return !sim.Has(num) })
	// An older add arriving late changes nothing on CXone but is kept.
	if code, _, _ := p.post(`{"phoneNumber":"4155552671","occurredAt":"2026-01-02T12:00:00Z"}`); code != 200 {
		t.Fatalf("late add answered %d", code)
	}
	if code, _, _ := p.post(`{"phoneNumber":"12"}`); code != 422 {
		t.Fatalf("junk answered %d", code)
	}
	var ans struct {
		State           string
		ConfirmedAction string
		History         []struct{ Kind, Action, Source string }
	}
	waitFor(t, "the removal's confirmation in the trail", func() bool {
		getJSON(t, p.url+"/v1/numbers/"+"(415)%20555-2671", adminToken, &ans)
		return ans.State == "removed"
	})
	var kinds []string
	for _, h := range ans.History {
		kinds = append(kinds, h.Kind+":"+h.Action)
	}
	if got := strings.Join(kinds, " "); got != "received:add confirmed:add received:remove confirmed:remove stale:add" {
		t.Fatalf("history %s", got)
	}
	if ans.History[0].Source != "web" || ans.ConfirmedAction != "remove" {
		t.Fatalf("answer %+v", ans)
	}
	var rej struct{ State string }
	if code := getJSON(t, p.url+"/v1/numbers/12", adminToken, &rej); code != 200 || rej.State != "rejected" {
		t.Fatalf("rejected input lookup: %d %+v", code, rej)
	}
	if code := getJSON(t, p.url+"/v1/numbers/+14155550000", adminToken, nil); code != 404 {
		t.Fatalf("never seen answered %d", code)
	}
	if code := getJSON(t, p.url+"/v1/numbers/"+num, "wrong", nil); code != 401 {
		t.Fatalf("wrong admin token answered %d", code)
	}
	var stats struct{ Depth int64 }
	if code := getJSON(t, p.url+"/v1/stats", adminToken, &stats); code != 200 || stats.Depth != 0 {
		t.Fatalf("stats %d %+v", code, stats)
	}

	// The lookup command through the running service (the embedded store is locked by serve).
	cmd := exec.Command(binPath, "lookup", "--server", p.url, "415-555-2671")
	cmd.Env = append(cleanEnv(), "DNCSYNC_ADMIN_TOKEN="+adminToken)
	out, err := cmd.Output()
	if err != nil || !strings.Contains(string(out), `"state": "removed"`) {
		t.Fatalf("lookup --server: %v\n%s", err, out)
	}
	cmd = exec.Command(binPath, "lookup", "--server", p.url, "+14155550000")
	cmd.Env = append(cleanEnv(), "DNCSYNC_ADMIN_TOKEN="+adminToken)
	if err := cmd.Run(); exitCode(err) != 1 {
		t.Fatalf("lookup of a number never seen: exit %d, want 1", exitCode(err))
	}

	// After a graceful stop, the store can be read directly: lookup and export.
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.cmd.Wait()
	cmd = exec.Command(binPath, "lookup", num)
	cmd.Env = append(cleanEnv(), "DNCSYNC_DATA_DIR="+dir)
	if out, err := cmd.Output(); err != nil || !strings.Contains(string(out), `"confirmedAction": "remove"`) {
		t.Fatalf("lookup on the store: %v\n%s", err, out)
	}
	cmd = exec.Command(binPath, "audit", "export", "--format", "csv")
	cmd.Env = append(cleanEnv(), "DNCSYNC_DATA_DIR="+dir)
	out, err = cmd.Output()
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 7 || !strings.HasPrefix(lines[0], "kind,number,at,raw,action") {
		t.Fatalf("export has %d lines, want a header and 6 records:\n%s", len(lines), out)
	}
}

func TestV1DisabledWithoutAdminToken(t *testing.T) {
	_, env := startSim(t, 6000)
	p := startServe(t, append(env, "DNCSYNC_DATA_DIR="+t.TempDir())...)
	if code := getJSON(t, p.url+"/v1/numbers/+14155552671", "anything", nil); code != 403 {
		t.Fatalf("/v1 without DNCSYNC_ADMIN_TOKEN answered %d, want 403", code)
	}
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if e, ok := err.(*exec.ExitError); ok {
		return e.ExitCode()
	}
	return -1
}

// TestRequeueDeadEndToEnd: numbers dead-lettered while CXone failed go back through requeue-dead.
func TestRequeueDeadEndToEnd(t *testing.T) {
	sim, env := startSim(t, 6000)
	sim.SetFaults(cxonesim.Faults{ServerError: 1})
	p := startServe(t, append(env, "DNCSYNC_DATA_DIR="+t.TempDir(), "DNCSYNC_ADMIN_TOKEN="+adminToken,
		"DNCSYNC_MAX_ATTEMPTS=1")...)
	want := []string{"+14155552671", "+14155552672"}
	// One request, so that both numbers go in the first batch: a second failing batch in a row is an
	// outage, which spends no attempt (and so dead-letters nothing).
	if code, _, _ := p.post(`[{"phoneNumber":"` + want[0] + `"},{"phoneNumber":"` + want[1] + `"}]`); code != 200 {
		t.Fatalf("post answered %d", code)
	}
	var stats struct{ DeadLetters int }
	waitFor(t, "the numbers to be dead-lettered", func() bool {
		getJSON(t, p.url+"/v1/stats", adminToken, &stats)
		return stats.DeadLetters == 2
	})
	sim.SetFaults(cxonesim.Faults{}) // the cause is fixed
	cmd := exec.Command(binPath, "requeue-dead", "--server", p.url)
	cmd.Env = append(cleanEnv(), "DNCSYNC_ADMIN_TOKEN="+adminToken)
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "re-queued 2 dead letters") {
		t.Fatalf("requeue-dead: %v\n%s", err, out)
	}
	waitForList(t, sim, want, 30*time.Second)
}
