package cxonesim

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestTokenIssuedAndAccepted(t *testing.T) {
	e := newEnv(t, Config{TokenTTL: 30 * time.Minute})
	status, hdr, body := e.postForm(url.Values{
		"grant_type": {"client_credentials"}, "client_id": {"dncsync-sim"}, "client_secret": {"dncsync-sim-secret"},
	})
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	var tr tokenResponse
	mustJSON(t, body, &tr)
	if tr.AccessToken == "" || tr.TokenType != "bearer" || tr.ExpiresIn != 1800 {
		t.Fatalf("token response %+v", tr)
	}
	if hdr.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", hdr.Get("Cache-Control"))
	}
	e.tok = tr.AccessToken
	if status, body := e.add(number(1)); status != http.StatusCreated {
		t.Fatalf("add with fresh token: %d %s", status, body)
	}
	if got := e.sim.Stats().TokensIssued; got != 2 { // newEnv's and ours
		t.Errorf("TokensIssued = %d, want 2", got)
	}
}

func TestTokenRejected(t *testing.T) {
	e := newEnv(t, Config{})
	tokenURL := e.url + "/api/v2/oauth/token"
	good := "grant_type=client_credentials&client_id=dncsync-sim&client_secret=dncsync-sim-secret"
	cases := []struct {
		name, ctype, body, query string
		status                   int
		errCode                  string
	}{
		{"wrong secret", "application/x-www-form-urlencoded", "grant_type=client_credentials&client_id=dncsync-sim&client_secret=nope", "", 401, "invalid_client"},
		{"unknown client", "application/x-www-form-urlencoded", "grant_type=client_credentials&client_id=other&client_secret=dncsync-sim-secret", "", 401, "invalid_client"},
		{"missing credentials", "application/x-www-form-urlencoded", "grant_type=client_credentials", "", 401, "invalid_client"},
		{"wrong grant", "application/x-www-form-urlencoded", "grant_type=password&client_id=dncsync-sim&client_secret=dncsync-sim-secret", "", 400, "unsupported_grant_type"},
		{"json body", "application/json", `{"grant_type":"client_credentials"}`, "", 400, "invalid_request"},
		{"params in query", "application/x-www-form-urlencoded", "", "?" + good, 400, "unsupported_grant_type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := e.client.Post(tokenURL+c.query, c.ctype, strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			status, _, body := readResp(t, resp)
			if status != c.status || errorOf(t, body) != c.errCode {
				t.Fatalf("got %d %s, want %d %s", status, body, c.status, c.errCode)
			}
		})
	}
	resp, err := e.client.Get(tokenURL)
	if err != nil {
		t.Fatal(err)
	}
	if status, _, _ := readResp(t, resp); status != http.StatusMethodNotAllowed {
		t.Errorf("GET token: %d, want 405", status)
	}
	if got := e.sim.Stats().TokensIssued; got != 1 { // only newEnv's
		t.Errorf("TokensIssued = %d, want 1", got)
	}
}

func TestAPIRequiresValidToken(t *testing.T) {
	e := newEnv(t, Config{})
	cases := map[string]reqOpt{
		"no header":    delHeader("Authorization"),
		"unknown":      setHeader("Authorization", "Bearer not-a-token"),
		"basic scheme": setHeader("Authorization", "Basic "+e.tok),
		"no token":     setHeader("Authorization", "Bearer "),
	}
	for name, opt := range cases {
		status, hdr, body := e.call(http.MethodPost, e.contactsPath(), addBody(number(1)), opt)
		if status != http.StatusUnauthorized || errorOf(t, body) != "invalid_token" {
			t.Errorf("%s: got %d %s, want 401 invalid_token", name, status, body)
		}
		if !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: WWW-Authenticate %q", name, hdr.Get("WWW-Authenticate"))
		}
	}
	// The scheme is case-insensitive per RFC 6750.
	if status, _, body := e.call(http.MethodPost, e.contactsPath(), addBody(number(2)), setHeader("Authorization", "bearer "+e.tok)); status != http.StatusCreated {
		t.Errorf("lower-case scheme: %d %s", status, body)
	}
	if e.sim.Has(number(1)) {
		t.Error("unauthorized add was applied")
	}
	if got := e.sim.Stats().Unauthorized; got != len(cases) {
		t.Errorf("Unauthorized = %d, want %d", got, len(cases))
	}
}

func TestTokenExpires(t *testing.T) {
	clock := newFakeClock()
	e := newEnv(t, Config{TokenTTL: time.Minute, Now: clock.Now})
	clock.Advance(59 * time.Second)
	if status, body := e.add(number(1)); status != http.StatusCreated {
		t.Fatalf("before expiry: %d %s", status, body)
	}
	clock.Advance(time.Second)
	if status, body := e.add(number(2)); status != http.StatusUnauthorized {
		t.Fatalf("at expiry: %d %s, want 401", status, body)
	}
	e.tok = e.token()
	if status, body := e.add(number(2)); status != http.StatusCreated {
		t.Fatalf("after refresh: %d %s", status, body)
	}
}

func TestRevokeTokens(t *testing.T) {
	e := newEnv(t, Config{})
	old := e.tok
	e.sim.RevokeTokens()
	if status, _ := e.add(number(1)); status != http.StatusUnauthorized {
		t.Fatalf("revoked token: %d, want 401", status)
	}
	e.tok = e.token()
	if e.tok == old {
		t.Fatal("refresh returned the revoked token")
	}
	if status, body := e.add(number(1)); status != http.StatusCreated {
		t.Fatalf("new token: %d %s", status, body)
	}
}
