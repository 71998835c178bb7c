package genesyssim_test

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/genesys/genesyssim"
	"github.com/dncsync/dncsync/internal/simfault"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a simulator on its two hosts and a raw HTTP client with a token.
type env struct {
	t     *testing.T
	sim   *genesyssim.Server
	hosts genesyssim.Hosts
	clock *clock
	http  *http.Client
	tok   string
}

func newEnv(t *testing.T, cfg genesyssim.Config) *env {
	t.Helper()
	e := &env{t: t, clock: &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}}
	if cfg.Now == nil {
		cfg.Now = e.clock.Now
	}
	e.sim = genesyssim.New(cfg)
	var stop func()
	e.hosts, stop = e.sim.StartHosts()
	tr := &http.Transport{}
	e.http = &http.Client{Transport: tr, Timeout: 5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	t.Cleanup(func() { tr.CloseIdleConnections(); stop() })
	status, body := e.token(e.sim.Config().ClientID, e.sim.Config().ClientSecret, "client_credentials", true)
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if status != 200 || json.Unmarshal(body, &tok) != nil || tok.AccessToken == "" || tok.TokenType != "bearer" || tok.ExpiresIn != 86400 {
		t.Fatalf("token: %d %s", status, body)
	}
	e.tok = tok.AccessToken
	return e
}

func (e *env) token(id, secret, grant string, basic bool) (int, []byte) {
	form := url.Values{"grant_type": {grant}}
	if !basic {
		form.Set("client_id", id)
		form.Set("client_secret", secret)
	}
	req, _ := http.NewRequest(http.MethodPost, e.hosts.Login+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		req.SetBasicAuth(id, secret)
	}
	return e.do(req)
}

func (e *env) do(req *http.Request) (int, []byte) {
	e.t.Helper()
	resp, err := e.http.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// call sends an API request with the token; it returns the status, the body and the headers.
func (e *env) call(method, path, body string) (int, []byte, http.Header) {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, e.hosts.API+path, rd)
	req.Header.Set("Authorization", "Bearer "+e.tok)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.http.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

func (e *env) numbersPath() string {
	return "/api/v2/outbound/dnclists/" + e.sim.Config().DNCListID + "/phonenumbers"
}

func code(b []byte) string {
	var v struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(b, &v)
	return v.Code
}

func TestLogin(t *testing.T) {
	e := newEnv(t, genesyssim.Config{})
	c := e.sim.Config()
	for name, tc := range map[string]struct {
		status int
		got    func() (int, []byte)
		err    string
	}{
		"wrong secret":        {401, func() (int, []byte) { return e.token(c.ClientID, "x", "client_credentials", true) }, "invalid_client"},
		"credentials in form": {401, func() (int, []byte) { return e.token(c.ClientID, c.ClientSecret, "client_credentials", false) }, "invalid_client"},
		"another grant":       {400, func() (int, []byte) { return e.token(c.ClientID, c.ClientSecret, "password", true) }, "unsupported_grant_type"},
	} {
		status, body := tc.got()
		if status != tc.status || !strings.Contains(string(body), `"error":"`+tc.err+`"`) {
			t.Errorf("%s: %d %s", name, status, body)
		}
	}
	// The token endpoint is on the login host only, and API calls need a live token.
	req, _ := http.NewRequest(http.MethodPost, e.hosts.API+"/oauth/token", nil)
	if status, _ := e.do(req); status != 404 && status != 405 {
		t.Errorf("token on the API host: %d", status)
	}
	if e.sim.Stats().Requests[genesyssim.KindUnmatched] == nil {
		t.Error("a call on the wrong host was not counted")
	}
	e.clock.Advance(25 * time.Hour)
	if status, body, _ := e.call(http.MethodGet, "/api/v2/outbound/dnclists/"+c.DNCListID, ""); status != 401 || code(body) != "bad.credentials" {
		t.Errorf("an expired token: %d %s", status, body)
	}
}

func TestPatchValidation(t *testing.T) {
	e := newEnv(t, genesyssim.Config{MaxBatch: 3})
	e.sim.AddList(genesyssim.ListInfo{ID: "gryphon", Name: "g", SourceType: genesyssim.SourceGryphon, ContactMethod: "Phone"})
	in := func(d time.Duration) string { return e.clock.Now().Add(d).UTC().Format("2006-01-02T15:04Z") }
	for name, tc := range map[string]struct {
		path, body string
		status     int
		code       string
	}{
		"unknown key":          {"", `{"action":"Add","phoneNumbers":["+14155550001"],"reason":"x"}`, 400, "invalid.property"},
		"differently cased":    {"", `{"Action":"Add","phoneNumbers":["+14155550001"]}`, 400, "invalid.property"},
		"not JSON":             {"", `{"action":`, 400, "bad.request"},
		"lowercase action":     {"", `{"action":"add","phoneNumbers":["+14155550001"]}`, 400, "invalid.value"},
		"no numbers":           {"", `{"action":"Add","phoneNumbers":[]}`, 400, "constraint.validation"},
		"too many":             {"", `{"action":"Add","phoneNumbers":["+14155550001","+14155550002","+14155550003","+14155550004"]}`, 400, "constraint.validation"},
		"digits":               {"", `{"action":"Add","phoneNumbers":["4155550001"]}`, 400, "invalid.value"},
		"expiry on remove":     {"", `{"action":"Remove","phoneNumbers":["+14155550001"],"expirationDateTime":"` + in(time.Hour) + `"}`, 400, "bad.request"},
		"expiry with seconds":  {"", `{"action":"Add","phoneNumbers":["+14155550001"],"expirationDateTime":"2026-03-02T10:00:00Z"}`, 400, "invalid.date"},
		"expiry too far":       {"", `{"action":"Add","phoneNumbers":["+14155550001"],"expirationDateTime":"` + in(181*24*time.Hour) + `"}`, 400, "invalid.date.value"},
		"unknown list":         {"/api/v2/outbound/dnclists/nope/phonenumbers", `{"action":"Add","phoneNumbers":["+14155550001"]}`, 404, "not.found"},
		"not an internal list": {"/api/v2/outbound/dnclists/gryphon/phonenumbers", `{"action":"Add","phoneNumbers":["+14155550001"]}`, 400, "dnc.source.operation.not.supported"},
	} {
		path := tc.path
		if path == "" {
			path = e.numbersPath()
		}
		status, body, hdr := e.call(http.MethodPatch, path, tc.body)
		if status != tc.status || code(body) != tc.code || hdr.Get("inin-correlation-id") == "" {
			t.Errorf("%s: %d %s, want %d %s with a correlation id", name, status, body, tc.status, tc.code)
		}
	}
	// The vendor quotes a bad value in its message.
	if _, body, _ := e.call(http.MethodPatch, e.numbersPath(), `{"action":"Add","phoneNumbers":["4155550001"]}`); !strings.Contains(string(body), "4155550001") {
		t.Errorf("the refusal does not quote the value: %s", body)
	}
	req, _ := http.NewRequest(http.MethodPatch, e.hosts.API+e.numbersPath(), strings.NewReader(`{"action":"Add","phoneNumbers":["+14155550001"]}`))
	req.Header.Set("Authorization", "Bearer "+e.tok)
	req.Header.Set("Content-Type", "text/plain")
	if status, _ := e.do(req); status != 415 {
		t.Errorf("text/plain: %d", status)
	}
	if got := e.sim.List(); len(got) != 0 {
		t.Fatalf("refused requests changed the list: %v", got)
	}

	// A good request is applied whole: 204.
	exp := in(179 * 24 * time.Hour)
	if status, body, _ := e.call(http.MethodPatch, e.numbersPath(), `{"action":"Add","phoneNumbers":["+14155550001","+14155550002"],"expirationDateTime":"`+exp+`"}`); status != 204 || len(body) != 0 {
		t.Fatalf("add: %d %s", status, body)
	}
	if got, ok := e.sim.Entry("+14155550001"); !ok || got.ExpiresAt.Format("2006-01-02T15:04Z") != exp {
		t.Fatalf("entry %+v", got)
	}
	if status, _, _ := e.call(http.MethodPatch, e.numbersPath(), `{"action":"Remove","phoneNumbers":["+14155550001","+14155550009"]}`); status != 204 {
		t.Fatalf("remove: %d", status)
	}
	if got := e.sim.List(); len(got) != 1 || got[0] != "+14155550002" {
		t.Fatalf("list %v", got)
	}
	status, body, _ := e.call(http.MethodGet, "/api/v2/outbound/dnclists/"+e.sim.Config().DNCListID+"?includeSize=true", "")
	var l struct {
		DncSourceType string `json:"dncSourceType"`
		Size          *int   `json:"size"`
		ImportStatus  any    `json:"importStatus"`
	}
	if status != 200 || json.Unmarshal(body, &l) != nil || l.DncSourceType != "rds" || l.Size == nil || *l.Size != 1 || l.ImportStatus != nil {
		t.Fatalf("get list: %d %s", status, body)
	}
	if status, body, _ := e.call(http.MethodGet, "/api/v2/outbound/dnclists/"+e.sim.Config().DNCListID+"?includeSize=yes", ""); status != 400 || code(body) != "invalid.query.param.value" {
		t.Fatalf("includeSize=yes: %d %s", status, body)
	}
}

func TestExport(t *testing.T) {
	e := newEnv(t, genesyssim.Config{ExportPolls: 1})
	e.sim.SeedEntries(genesyssim.Entry{Number: "+14155550002", ExpiresAt: e.clock.Now().Add(-time.Hour)}, genesyssim.Entry{Number: "+14155550001"})
	path := "/api/v2/outbound/dnclists/" + e.sim.Config().DNCListID + "/export"
	if status, _, _ := e.call(http.MethodGet, path, ""); status != 404 {
		t.Fatalf("no export yet: %d", status)
	}
	if status, body, _ := e.call(http.MethodPost, path, ""); status != 200 || !strings.Contains(string(body), e.sim.Config().DNCListID) {
		t.Fatalf("start: %d %s", status, body)
	}
	if status, _, _ := e.call(http.MethodGet, path, ""); status != 404 {
		t.Fatalf("first look: %d, want still not ready", status)
	}
	status, body, _ := e.call(http.MethodGet, path, "")
	var ex struct {
		URI             string    `json:"uri"`
		ExportTimestamp time.Time `json:"exportTimestamp"`
	}
	if status != 200 || json.Unmarshal(body, &ex) != nil || !strings.HasPrefix(ex.URI, e.hosts.API+"/api/v2/downloads/") || !ex.ExportTimestamp.Equal(e.clock.Now()) {
		t.Fatalf("ready: %d %s", status, body)
	}
	status, _, hdr := e.call(http.MethodGet, strings.TrimPrefix(ex.URI, e.hosts.API), "")
	if status != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "/sim/files/") {
		t.Fatalf("download: %d %v", status, hdr)
	}
	req, _ := http.NewRequest(http.MethodGet, hdr.Get("Location"), nil) // no token: the link is signed
	status, file := e.do(req)
	rows, err := csv.NewReader(strings.NewReader(string(file))).ReadAll()
	if status != 200 || err != nil || len(rows) != 3 || rows[1][0] != "+14155550001" || rows[2][2] == "" {
		t.Fatalf("file: %d %q %v", status, rows, err)
	}
	forged, _ := http.NewRequest(http.MethodGet, strings.Split(hdr.Get("Location"), "?")[0]+"?sig=00", nil)
	if status, _ := e.do(forged); status != 403 {
		t.Fatalf("a forged link: %d", status)
	}
	if st := e.sim.Stats(); st.Exports != 1 || st.Downloads != 1 || st.Requests[genesyssim.KindFile][200] != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestRateLimitAndFaults(t *testing.T) {
	e := newEnv(t, genesyssim.Config{RatePerMinute: 30, Burst: 2})
	get := func() (int, http.Header) {
		status, _, hdr := e.call(http.MethodGet, "/api/v2/outbound/dnclists/"+e.sim.Config().DNCListID, "")
		return status, hdr
	}
	for range 2 {
		if status, _ := get(); status != 200 {
			t.Fatalf("within the burst: %d", status)
		}
	}
	if status, hdr := get(); status != 429 || hdr.Get("Retry-After") != "2" {
		t.Fatalf("over the burst: %d Retry-After %q", status, hdr.Get("Retry-After"))
	}
	e.clock.Advance(2 * time.Second)
	if status, _ := get(); status != 200 {
		t.Fatal("no refill")
	}

	e.clock.Advance(time.Minute)
	e.sim.SetFaults(simfault.Faults{LostAfterApply: 1})
	req, _ := http.NewRequest(http.MethodPatch, e.hosts.API+e.numbersPath(), strings.NewReader(`{"action":"Add","phoneNumbers":["+14155550001"]}`))
	req.Header.Set("Authorization", "Bearer "+e.tok)
	req.Header.Set("Content-Type", "application/json")
	if resp, err := e.http.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("lost answer: got %d", resp.StatusCode)
	}
	if !e.sim.Has("+14155550001") {
		t.Fatal("a lost request was not applied")
	}
	e.clock.Advance(time.Minute)
	e.sim.SetFaults(simfault.Faults{RateLimit429: 1})
	if status, hdr := get(); status != 429 || hdr.Get("Retry-After") != "" {
		t.Fatalf("injected 429 without Retry-After: %d %v", status, hdr)
	}
	e.clock.Advance(time.Minute)
	e.sim.SetFaults(simfault.Faults{HTMLError: 1})
	if status, body, _ := e.call(http.MethodGet, "/api/v2/outbound/dnclists/"+e.sim.Config().DNCListID, ""); status != 502 || !strings.Contains(string(body), "<html>") {
		t.Fatalf("HTML error: %d %s", status, body)
	}
	st := e.sim.Stats()
	if st.RateLimited != 2 || st.FaultsInjected[simfault.FaultLostAfterApply] != 1 || st.FaultsInjected[simfault.FaultHTMLError] != 1 ||
		st.Requests[genesyssim.KindPatch][0] != 1 || st.MaxPerMinute < 3 {
		t.Fatalf("stats %+v", st)
	}
}

func TestInspectionRoutes(t *testing.T) {
	e := newEnv(t, genesyssim.Config{})
	post := func(path, body string) int {
		req, _ := http.NewRequest(http.MethodPost, e.hosts.API+path, strings.NewReader(body))
		status, _ := e.do(req)
		return status
	}
	if post("/sim/seed", `{"numbers":["+14155550001","+14155550002"]}`) != 204 || post("/sim/delete", `{"numbers":["+14155550001"]}`) != 204 {
		t.Fatal("seed or delete refused")
	}
	if post("/sim/seed", `{"numbers":["4155550003"]}`) != 400 || post("/sim/seed", `{"number":["+14155550003"]}`) != 400 {
		t.Fatal("a bad seed was taken")
	}
	if post("/sim/faults", `{"serverError":0.5,"slowDelay":"10ms"}`) != 204 || e.sim.Faults().ServerError != 0.5 {
		t.Fatalf("faults %+v", e.sim.Faults())
	}
	req, _ := http.NewRequest(http.MethodGet, e.hosts.API+"/sim/list", nil)
	status, body := e.do(req)
	if status != 200 || string(body) != `{"numbers":["+14155550002"]}` {
		t.Fatalf("list: %d %s", status, body)
	}
	if post("/sim/revoke-tokens", "") != 204 {
		t.Fatal("revoke")
	}
	e.sim.SetFaults(simfault.Faults{})
	if status, _, _ := e.call(http.MethodGet, "/api/v2/outbound/dnclists/"+e.sim.Config().DNCListID, ""); status != 401 {
		t.Fatalf("a revoked token: %d", status)
	}
}
