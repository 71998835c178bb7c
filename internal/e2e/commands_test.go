package e2e

import (
	"bufio"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDemoSimulatesEveryDestination: `dncsync demo` with every destination of the registry runs a
// simulator of each (its Spec's Simulate), and an opt-out reaches all three; Ctrl-C stops it
// cleanly.
func TestDemoSimulatesEveryDestination(t *testing.T) {
	cmd := exec.Command(binPath, "demo")
	cmd.Env = append(cleanEnv(), "PORT=0", "DNCSYNC_LOG_LEVEL=warn", // the demo says which port it got
		"DNCSYNC_DESTINATIONS=cxone,genesys,webhook", "DNCSYNC_BATCH_LINGER=20ms")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	// The demo says where each simulator runs once it listens.
	var intro strings.Builder
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && !strings.Contains(sc.Text(), "Stop with Ctrl-C") {
		intro.WriteString(sc.Text() + "\n")
	}
	go io.Copy(io.Discard, stdout)
	for _, want := range []string{"NICE CXone (admin profile) simulated at", "Genesys Cloud simulated at",
		"a webhook receiver simulated at", "demo-admin-token"} {
		if !strings.Contains(intro.String(), want) {
			t.Fatalf("the demo's introduction lacks %q:\n%s\nstderr:\n%s", want, intro.String(), stderr.String())
		}
	}
	m := regexp.MustCompile(`the service on http://localhost:(\d+)`).FindStringSubmatch(intro.String())
	if m == nil || m[1] == "0" {
		t.Fatalf("the demo's introduction names no port:\n%s", intro.String())
	}
	base := "http://127.0.0.1:" + m[1]
	resp, err := http.Post(base+"/webhook/opt-out", "application/json",
		strings.NewReader(`{"eventType":"contact.opt_out","data":{"phoneNumber":"(415) 555-2671"}}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("opt-out: %v %v\n%s", resp, err, stderr.String())
	}
	resp.Body.Close()
	var st struct {
		Destinations map[string]struct{ LastPushAt *time.Time }
	}
	waitFor(t, "every destination to confirm the opt-out", func() bool {
		getJSON(t, base+"/v1/status", "demo-admin-token", &st)
		pushed := 0
		for _, d := range st.Destinations {
			if d.LastPushAt != nil {
				pushed++
			}
		}
		return len(st.Destinations) == 3 && pushed == 3
	})
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the demo did not stop cleanly: %v\n%s", err, stderr.String())
	}
}

// TestStatusExitStatuses: a service that does not answer is exit 3, not the 1 of a clock past
// --max-age, so that a monitor tells "behind" from "cannot tell".
func TestStatusExitStatuses(t *testing.T) {
	dead := deadURL
	_, errOut, code := runCmd(t, []string{"DNCSYNC_ADMIN_TOKEN=" + adminToken}, "", "status", "--server", dead)
	if code != 3 || !strings.Contains(errOut, dead) {
		t.Fatalf("status --server to a dead port: exit %d, want 3\n%s", code, errOut)
	}
	if _, errOut, code := runCmd(t, []string{"DNCSYNC_DATA_DIR=" + t.TempDir()}, "", "status", "--max-age", "soon"); code != 2 {
		t.Fatalf("status with a bad flag: exit %d, want 2\n%s", code, errOut)
	}
}
