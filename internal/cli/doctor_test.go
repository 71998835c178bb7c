package cli

import (
	"strings"
	"testing"

	"github.com/dncsync/dncsync/internal/cxone/cxonesim"
)

// The doctor's output, golden: a healthy tenant with a canary; a wrong secret (a FAIL, and SKIP
// for what needs the login); settings that cannot work (said once, in the summary). The
// simulator's addresses are replaced by names.
func TestDoctorOutput(t *testing.T) {
	hide := doctorTenant(t)
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		code int
	}{
		{"healthy", nil, []string{"--canary", "+14155550123"}, 0},
		{"wrong-secret", map[string]string{"CXONE_ACCESS_KEY_SECRET": "wrong-key-secret"}, nil, 1},
		{"settings", map[string]string{"CXONE_API": "", "DNCSYNC_DEFAULT_REGION": "US"}, nil, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			code, out, errOut := run(t, append([]string{"doctor"}, tc.args...)...)
			if code != tc.code || errOut != "" {
				t.Fatalf("exit %d, want %d; stderr %q\n%s", code, tc.code, errOut, out)
			}
			if strings.Contains(out, "key-secret") {
				t.Fatalf("the secret was printed:\n%s", out)
			}
			golden(t, "doctor-"+tc.name+".golden", hide.Replace(out))
		})
	}
	// Its settings error is said once, with no frame doubled ("genesys config: config:").
	t.Setenv("CXONE_API", "")
	_, out, _ := run(t, "doctor")
	if strings.Count(out, "CXONE_API is required") != 1 {
		t.Fatalf("the settings error is not said exactly once:\n%s", out)
	}
	_, out, _ = run(t, "doctor", "--destination", "genesys")
	if strings.Contains(out, "config: config:") || !strings.Contains(out, "GENESYS_CLIENT_ID is required") {
		t.Fatalf("genesys settings:\n%s", out)
	}
	if code, _, errOut := run(t, "doctor", "--destination", "nope"); code != 2 || !strings.Contains(errOut, "cxone, genesys or webhook") {
		t.Fatalf("an unknown destination: exit %d\n%s", code, errOut)
	}
}

// doctorTenant points the CXone settings at a simulated tenant, healthy, for the test's length, and
// returns what replaces its addresses by names.
func doctorTenant(t *testing.T) *strings.Replacer {
	t.Helper()
	clearEnv(t)
	sim := cxonesim.New(cxonesim.Config{AccessKeyID: "key", AccessKeySecret: "key-secret", TenantID: "tenant-golden",
		DNCGroupID: "2001", RatePerMinute: 60000, Seed: 5})
	h, stop := sim.StartHosts()
	t.Cleanup(stop)
	for k, v := range map[string]string{"CXONE_API": "admin", "CXONE_AUTH_URL": h.Login, "CXONE_DISCOVERY_URL": h.Discovery,
		"CXONE_ACCESS_KEY_ID": "key", "CXONE_ACCESS_KEY_SECRET": "key-secret", "CXONE_DNC_GROUP_ID": "2001",
		"CXONE_RATE_LIMIT_RPM": "60000"} {
		t.Setenv(k, v)
	}
	return strings.NewReplacer(h.Login, "http://LOGIN", h.Discovery, "http://DISCOVERY", h.API, "http://API")
}
