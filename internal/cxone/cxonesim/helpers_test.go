package cxonesim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable Config.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a simulator served over loopback plus a client with a token. url is
// the API host; the admin profile's login and discovery are on hosts.
type env struct {
	t      *testing.T
	sim    *Server
	url    string
	hosts  Hosts
	client *http.Client
	tok    string
}

func newEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	e := startEnv(t, cfg)
	e.tok = e.token()
	return e
}

// startEnv serves a simulator for cfg; the client has no token yet.
func startEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	sim := New(cfg)
	h, stop := sim.StartHosts()
	tr := &http.Transport{}
	e := &env{t: t, sim: sim, url: h.API, hosts: h, client: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		stop()
	})
	return e
}

// token fetches a fresh access token with the configured credentials.
func (e *env) token() string {
	e.t.Helper()
	cfg := e.sim.Config()
	status, _, body := e.postForm(url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {cfg.ClientID},
		"client_secret": {cfg.ClientSecret},
	})
	if status != http.StatusOK {
		e.t.Fatalf("token: status %d: %s", status, body)
	}
	var tr tokenResponse
	mustJSON(e.t, body, &tr)
	return tr.AccessToken
}

func (e *env) postForm(form url.Values) (int, http.Header, []byte) {
	e.t.Helper()
	resp, err := e.client.PostForm(e.url+"/api/v2/oauth/token", form)
	if err != nil {
		e.t.Fatalf("token request: %v", err)
	}
	return readResp(e.t, resp)
}

// reqOpt adjusts a request before it is sent.
type reqOpt func(*http.Request)

func setHeader(k, v string) reqOpt { return func(r *http.Request) { r.Header.Set(k, v) } }
func delHeader(k string) reqOpt    { return func(r *http.Request) { r.Header.Del(k) } }

// send issues an API call with the headers a correct client sends; opts may
// break them. It returns the transport error instead of failing.
func (e *env) send(method, path, body string, opts ...reqOpt) (*http.Response, error) {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.tok)
	req.Header.Set("X-CXone-Version", V2Version)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, o := range opts {
		o(req)
	}
	return e.client.Do(req)
}

// call is send for requests that must get an answer.
func (e *env) call(method, path, body string, opts ...reqOpt) (int, http.Header, []byte) {
	e.t.Helper()
	resp, err := e.send(method, path, body, opts...)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	return readResp(e.t, resp)
}

func readResp(t *testing.T, resp *http.Response) (int, http.Header, []byte) {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading response: %v", err)
	}
	return resp.StatusCode, resp.Header, b
}

func (e *env) contactsPath() string {
	return "/api/v2/outbound/dnc-lists/" + e.sim.Config().ListID + "/contacts"
}

// addBody renders an add request for numbers.
func addBody(numbers ...string) string {
	parts := make([]string, len(numbers))
	for i, n := range numbers {
		parts[i] = fmt.Sprintf(`{"phoneNumber":%q,"reason":"opt-out","source":"sms"}`, n)
	}
	return `{"contacts":[` + strings.Join(parts, ",") + `]}`
}

func (e *env) add(numbers ...string) (int, []byte) {
	e.t.Helper()
	status, _, body := e.call(http.MethodPost, e.contactsPath(), addBody(numbers...))
	return status, body
}

func mustJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
}

func errorOf(t *testing.T, b []byte) string {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	mustJSON(t, b, &e)
	return e.Error
}

// number returns a distinct valid E.164 number.
func number(i int) string { return fmt.Sprintf("+1415555%04d", i) }
