package e2e

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/dncsync/dncsync/internal/cxone/cxonesim"
)

// summaryLine is one line of the doctor's closing summary.
var summaryLine = regexp.MustCompile(`^(\S.*?)\s+(ok|FAIL: .+|SKIP: .+)$`)

// doctorSummary runs `dncsync doctor` with env and returns its exit status, whole output, and the
// closing summary as check name -> "ok", "FAIL: ..." or "SKIP: ...", in order. It fails the test if the output
// does not end with one summary line per check or carries the access key secret.
func doctorSummary(t *testing.T, env []string, args ...string) (int, string, []string, map[string]string) {
	t.Helper()
	cmd := exec.Command(binPath, append([]string{"doctor"}, args...)...)
	cmd.Env = append(cleanEnv(), env...)
	out, err := cmd.CombinedOutput()
	text := string(out)
	if strings.Contains(text, "key-secret") {
		t.Errorf("doctor printed the access key secret:\n%s", text)
	}
	_, tail, ok := strings.Cut(strings.TrimRight(text, "\n"), "\n\n")
	for ok && strings.Contains(tail, "\n\n") { // the summary is the last block
		_, tail, _ = strings.Cut(tail, "\n\n")
	}
	if !ok {
		t.Fatalf("no summary block:\n%s", text)
	}
	var names []string
	results := map[string]string{}
	for _, line := range strings.Split(tail, "\n") {
		m := summaryLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("summary line %q is not `check ok|FAIL: ...`:\n%s", line, text)
		}
		names = append(names, m[1])
		results[m[1]] = m[2]
	}
	return exitCode(err), text, names, results
}

// TestDoctorEndToEnd: the real binary checks a simulated tenant on its three hosts. A healthy
// setup passes every check and its canary leaves the group as it found it; a group that scrubs no
// skill fails loudly; a canary already on the group is never taken off; a wrong secret fails the
// login and skips what depends on it. The secret is never printed.
func TestDoctorEndToEnd(t *testing.T) {
	sim, env := startAdminSim(t, 6000)
	sim.Seed("+14155550100")
	all := []string{"settings", "login", "discovery", "group", "scrubbed skills", "contributing skills", "records",
		"canary add", "canary lookup", "canary expire"}

	code, out, names, _ := doctorSummary(t, env, "--canary", "(415) 555-0123")
	if code != 0 || strings.Join(names, ",") != strings.Join(all, ",") {
		t.Fatalf("healthy setup: exit %d, checks %v\n%s", code, names, out)
	}
	for _, want := range []string{"tenant tenant-e2e", "scrubbed skills (their calls skip the group's numbers): 4001",
		"API version: v30.0"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if e, ok := sim.Entry("+14155550123"); ok || sim.Has("+14155550123") {
		t.Errorf("the canary stayed on the group: %+v", e)
	}
	if st := sim.Stats(); st.Requests[cxonesim.KindAdminAdd][200] != 1 || st.Requests[cxonesim.KindAdminRemove][200] != 1 {
		t.Errorf("canary requests %v", st.Requests)
	}

	// A group that scrubs no skill blocks no call: a loud failure, and exit status 1.
	sim.SetGroupSkills(nil, []cxonesim.Skill{{ID: 7, Name: "Inbound"}})
	code, out, _, res := doctorSummary(t, env)
	if code != 1 || !strings.HasPrefix(res["scrubbed skills"], "FAIL: DNC group 2001 scrubs no skill, so it blocks no call") ||
		!strings.Contains(out, "WARNING") || res["contributing skills"] != "ok" || res["group"] != "ok" {
		t.Fatalf("no scrubbed skill: exit %d %v\n%s", code, res, out)
	}
	if !strings.Contains(out, `7 "Inbound"`) {
		t.Errorf("contributing skills not shown:\n%s", out)
	}
	sim.SetGroupSkills([]cxonesim.Skill{{ID: 4001, Name: "Outbound"}}, nil)

	// A canary that is already an opt-out on the group is refused, not expired.
	code, out, _, res = doctorSummary(t, env, "--canary", "+14155550100")
	if code != 1 || !strings.Contains(res["canary add"], "already on DNC group 2001") ||
		res["canary expire"] != "SKIP: fix canary add first" || !sim.Has("+14155550100") {
		t.Fatalf("canary already listed: exit %d %v, still listed %v\n%s", code, res, sim.Has("+14155550100"), out)
	}
	if strings.Contains(out, "4155550100") {
		t.Errorf("the number was printed unmasked:\n%s", out)
	}

	// An inactive group blocks no call either.
	sim.SetGroupActive(false)
	if code, out, _, res = doctorSummary(t, env); code != 1 || !strings.Contains(res["group"], "inactive") {
		t.Fatalf("inactive group: exit %d %v\n%s", code, res, out)
	}
	sim.SetGroupActive(true)

	// A wrong secret fails the login; what needs it is skipped.
	code, out, _, res = doctorSummary(t, append(env, "CXONE_ACCESS_KEY_SECRET=wrong-key-secret"))
	if code != 1 || !strings.Contains(res["login"], "CXONE_ACCESS_KEY_SECRET") ||
		res["discovery"] != "SKIP: fix login first" || res["records"] != "SKIP: fix login first" {
		t.Fatalf("wrong secret: exit %d %v\n%s", code, res, out)
	}

	// Settings are checked first, naming the variable to set.
	code, out, names, res = doctorSummary(t, append(env, "CXONE_PHONE_JSON=text"))
	if code != 1 || len(names) != 1 || !strings.Contains(res["settings"], "CXONE_PHONE_JSON") {
		t.Fatalf("bad setting: exit %d %v\n%s", code, res, out)
	}
}
