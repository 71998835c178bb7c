package e2e

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/cxone/cxonesim"
)

// startAdminSim serves a simulated tenant on its own login, discovery and API hosts; the binary is
// told the first two, as on a real tenant, and discovers the API host.
func startAdminSim(t *testing.T, rpm int) (*cxonesim.Server, []string) {
	sim := cxonesim.New(cxonesim.Config{AccessKeyID: "key", AccessKeySecret: "key-secret", TenantID: "tenant-e2e",
		DNCGroupID: "2001", RatePerMinute: rpm, Seed: 5})
	h, stop := sim.StartHosts()
	t.Cleanup(stop)
	return sim, []string{"CXONE_API=admin", "CXONE_AUTH_URL=" + h.Login, "CXONE_DISCOVERY_URL=" + h.Discovery,
		"CXONE_ACCESS_KEY_ID=key",
		"CXONE_ACCESS_KEY_SECRET=key-secret", "CXONE_DNC_GROUP_ID=2001", fmt.Sprintf("CXONE_RATE_LIMIT_RPM=%d", rpm),
		"DNCSYNC_WEBHOOK_AUTH=token", "DNCSYNC_WEBHOOK_TOKEN=" + webhookToken, "DNCSYNC_BATCH_LINGER=20ms",
		"DNCSYNC_RETRY_BACKOFF=200ms", "DNCSYNC_LEASE=30s", "DNCSYNC_ADMIN_TOKEN=" + adminToken}
}

// TestAdminEndToEnd: the real binary on the admin profile (discovery through the token's tenant)
// with faults on: the exact group content, removals, then records deleted behind dncsync's back
// come back through reconcile; check answers with its exit status.
func TestAdminEndToEnd(t *testing.T) {
	sim, env := startAdminSim(t, 30000)
	sim.SetFaults(cxonesim.Faults{RateLimit429: 0.05, ServerError: 0.05, LostAfterApply: 0.05, ExpireTokens: 0.03,
		HTMLError: 0.02})
	p := startServe(t, append(env, "DNCSYNC_DATA_DIR="+t.TempDir())...)
	c := makeCorpus(600)
	sameSet(t, send(t, p, c.bodies, 8), c.want)
	waitForList(t, sim, c.want, 60*time.Second)

	// Opt back in for ten of them.
	removed := c.want[:10]
	for _, n := range removed {
		if code, body, err := p.post(fmt.Sprintf(`{"phoneNumber":%q,"action":"remove"}`, n)); err != nil || code != 200 {
			t.Fatalf("remove %s: %d %s %v", n, code, body, err)
		}
	}
	rest := c.want[10:]
	waitForList(t, sim, rest, 60*time.Second)

	// Someone deletes records in CXone behind dncsync's back; reconcile puts them back.
	sim.SetFaults(cxonesim.Faults{})
	gone := rest[:25]
	sim.Delete(gone...)
	run := func(args ...string) (string, int) {
		cmd := exec.Command(binPath, args...)
		cmd.Env = append(cleanEnv(), env...)
		out, err := cmd.CombinedOutput()
		return string(out), exitCode(err)
	}
	out, code := run("reconcile", "--server", p.url, "--dry-run", "--json")
	if code != 0 || !strings.Contains(out, `"missing": [`) || !strings.Contains(out, `"requeued": 0`) {
		t.Fatalf("dry run: exit %d\n%s", code, out)
	}
	if len(sim.List()) != len(rest)-len(gone) {
		t.Fatal("a dry run changed the group")
	}
	out, code = run("reconcile", "--server", p.url)
	if code != 0 || !strings.Contains(out, "missing from it: 25 (re-queued 25)") {
		t.Fatalf("reconcile: exit %d\n%s", code, out)
	}
	waitForList(t, sim, rest, 60*time.Second)

	if out, code := run("check", rest[0]); code != 0 || !strings.Contains(out, "is on 1 DNC group") {
		t.Fatalf("check of a listed number: exit %d\n%s", code, out)
	}
	if out, code := run("check", removed[0]); code != 1 {
		t.Fatalf("check of a removed number: exit %d, want 1\n%s", code, out)
	}
	if _, code := run("check", "12"); code != 2 {
		t.Fatalf("check of junk: exit %d, want 2", code)
	}
}
