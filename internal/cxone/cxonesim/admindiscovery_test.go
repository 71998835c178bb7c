package cxonesim

import (
	"net/http"
	"testing"
)

func (e *env) discover(query string) (int, []byte) {
	e.t.Helper()
	resp, err := e.client.Get(e.hosts.Discovery + "/.well-known/cxone-configuration" + query)
	if err != nil {
		e.t.Fatal(err)
	}
	status, _, body := readResp(e.t, resp)
	return status, body
}

// discoveryDoc is the spec's required fields (calljacob/nice-cxone-api
// AuthenticationGlobalauthenticationService.ts getCXoneConfig).
type discoveryDoc struct {
	Private      *bool  `json:"private"`
	APIEndpoint  string `json:"api_endpoint"`
	UIEndpoint   string `json:"ui_endpoint"`
	AuthEndpoint string `json:"auth_endpoint"`
	Domain       string `json:"domain"`
	UHDomain     string `json:"uhDomain"`
}

func TestAdminDiscovery(t *testing.T) {
	e := startEnv(t, Config{TenantID: "t-1"})
	e.sim.Seed(number(1))
	status, body := e.discover("?tenantId=t-1")
	var doc discoveryDoc
	mustJSON(t, body, &doc)
	if status != http.StatusOK || doc.APIEndpoint != e.url || doc.AuthEndpoint != e.hosts.Login || doc.UIEndpoint == "" ||
		doc.Private == nil || doc.Domain == "" || doc.UHDomain == "" {
		t.Fatalf("known tenant: %d %s", status, body)
	}
	// The discovered endpoint is where the API lives.
	e.tok = e.adminToken()
	if status, _, body := e.adminCall(http.MethodGet, e.recordsPath(), ""); status != http.StatusOK {
		t.Fatalf("API at %s: %d %s", doc.APIEndpoint, status, body)
	}
	if status, _ := e.discover("?tenantId=t-2"); status != http.StatusNotFound {
		t.Errorf("unknown tenant: %d, want 404", status)
	}
	if status, _ := e.discover(""); status != http.StatusBadRequest {
		t.Errorf("no tenant: %d, want 400", status)
	}
	if st := e.sim.Stats().Requests[KindAdminDiscovery]; st[200] != 1 || st[404] != 1 || st[400] != 1 {
		t.Errorf("stats %v", st)
	}
}

func TestAdminDiscoveryConfiguredEndpoint(t *testing.T) {
	e := startEnv(t, Config{APIEndpoint: "https://api-c99.example.test"})
	_, body := e.discover("?tenantId=tenant-sim-1")
	var doc discoveryDoc
	mustJSON(t, body, &doc)
	if doc.APIEndpoint != "https://api-c99.example.test" || doc.AuthEndpoint != e.hosts.Login {
		t.Errorf("discovery %s", body)
	}
}

func TestAdminLoginAndDiscoveryUnmetered(t *testing.T) {
	e := startEnv(t, Config{RatePerMinute: 1, Burst: 1, Now: newFakeClock().Now})
	e.sim.SetFaults(Faults{ServerError: 1, RateLimit429: 1, ExpireTokens: 1})
	for range 5 {
		e.adminToken() // fails the test unless 200
		if status, body := e.discover("?tenantId=tenant-sim-1"); status != http.StatusOK {
			t.Fatalf("discovery: %d %s", status, body)
		}
	}
	st := e.sim.Stats()
	if len(st.FaultsInjected) != 0 || st.MaxPerMinute != 0 || st.RateLimited != 0 {
		t.Errorf("login or discovery metered: %+v", st)
	}
}
