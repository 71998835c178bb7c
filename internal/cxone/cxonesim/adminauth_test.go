package cxonesim

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestAdminAccessKeyLogin(t *testing.T) {
	clock := newFakeClock()
	e := startEnv(t, Config{TenantID: "tenant-42", Now: clock.Now})
	status, body := e.accessKeyLogin("sim-access-key", "sim-access-secret")
	if status != http.StatusOK {
		t.Fatalf("login: %d %s", status, body)
	}
	var tr adminTokenResponse
	mustJSON(t, body, &tr)
	if tr.TokenType != "Bearer" || tr.ExpiresIn != 3600 || tr.IDToken == "" || tr.RefreshToken == "" {
		t.Errorf("token response %s", body)
	}
	// The spec's tokens: tenantId and the issuer (the global host) are claims of the id_token.
	claims := jwtPayload(t, tr.AccessToken)
	if _, ok := claims["tenantId"]; ok {
		t.Errorf("access token claims %v carry tenantId; only the id_token does (lenient: both)", claims)
	}
	if iat, exp := claims["iat"].(float64), claims["exp"].(float64); int64(iat) != clock.Now().Unix() || exp-iat != 3600 {
		t.Errorf("iat %v exp %v", iat, exp)
	}
	if id := jwtPayload(t, tr.IDToken); id["tenantId"] != "tenant-42" || id["iss"] != e.hosts.Discovery {
		t.Errorf("id_token claims %v, want tenantId tenant-42 issued by %s", id, e.hosts.Discovery)
	}

	e.tok = tr.AccessToken
	if status, _, body := e.adminCall(http.MethodGet, e.recordsPath(), ""); status != http.StatusNoContent {
		t.Fatalf("API call with the token: %d %s, want 204 (an empty group)", status, body)
	}
	if again := e.adminToken(); again == tr.AccessToken {
		t.Error("two logins returned the same token")
	}
	if st := e.sim.Stats(); st.TokensIssued != 2 || st.Requests[KindAdminToken][200] != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestAdminLenientTokensCarryTenantInBoth(t *testing.T) {
	e := startEnv(t, Config{TenantID: "tenant-42", Lenient: true})
	_, body := e.accessKeyLogin("sim-access-key", "sim-access-secret")
	var tr adminTokenResponse
	mustJSON(t, body, &tr)
	if jwtPayload(t, tr.AccessToken)["tenantId"] != "tenant-42" || jwtPayload(t, tr.IDToken)["tenantId"] != "tenant-42" {
		t.Errorf("lenient tokens %s", body)
	}
}

// Each host serves its own routes only, as a tenant's hosts do: a client that logs in, discovers or
// calls the API on the wrong one gets a 404, counted as a route the contract lacks.
func TestAdminHostsServeTheirOwnRoutes(t *testing.T) {
	e := newAdminEnv(t, Config{})
	e.sim.Seed(number(1))
	login := `{"accessKeyId":"sim-access-key","accessKeySecret":"sim-access-secret"}`
	for _, c := range []struct {
		name, method, url, body string
		want                    int
	}{
		{"login on the login host", "POST", e.hosts.Login + "/authentication/v1/token/access-key", login, 200},
		{"login on the global host", "POST", e.hosts.Discovery + "/authentication/v1/token/access-key", login, 404},
		{"login on the API host", "POST", e.url + "/authentication/v1/token/access-key", login, 404},
		{"discovery on the global host", "GET", e.hosts.Discovery + "/.well-known/cxone-configuration?tenantId=tenant-sim-1", "", 200},
		{"discovery on the login host", "GET", e.hosts.Login + "/.well-known/cxone-configuration?tenantId=tenant-sim-1", "", 404},
		{"discovery on the API host", "GET", e.url + "/.well-known/cxone-configuration?tenantId=tenant-sim-1", "", 404},
		{"OpenID configuration on the API host", "GET", e.url + "/.well-known/openid-configuration", "", 404},
		{"password grant on the login host", "POST", e.hosts.Login + "/auth/token", "", 404},
		{"API on the API host", "GET", e.url + e.recordsPath(), "", 200},
		{"API on the global host", "GET", e.hosts.Discovery + e.recordsPath(), "", 404},
		{"API on the login host", "GET", e.hosts.Login + e.recordsPath(), "", 404},
	} {
		req, _ := http.NewRequest(c.method, c.url, strings.NewReader(c.body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Authorization", "Bearer "+e.tok)
		resp, err := e.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if status, _, body := readResp(t, resp); status != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, status, body, c.want)
		}
	}
	if n := e.sim.Stats().Requests[KindUnmatched][404]; n != 8 {
		t.Errorf("%d wrong-host requests counted, want 8", n)
	}
}

func TestAdminAccessKeyLoginRejected(t *testing.T) {
	e := startEnv(t, Config{AccessKeyID: "key", AccessKeySecret: "secret"})
	loginURL := e.hosts.Login + "/authentication/v1/token/access-key"
	for _, c := range []struct {
		name, ctype, body string
		status            int
	}{
		{"wrong secret", "application/json", `{"accessKeyId":"key","accessKeySecret":"nope"}`, 401},
		{"wrong id", "application/json", `{"accessKeyId":"other","accessKeySecret":"secret"}`, 401},
		{"the defaults", "application/json", `{"accessKeyId":"sim-access-key","accessKeySecret":"sim-access-secret"}`, 401},
		{"empty", "application/json", `{}`, 401},
		{"misspelt key", "application/json", `{"accessKeyID":"key","accessKeySecret":"secret"}`, 400},
		{"not json", "application/json", `accessKeyId=key`, 400},
		{"form", "application/x-www-form-urlencoded", `accessKeyId=key&accessKeySecret=secret`, 415},
	} {
		resp, err := e.client.Post(loginURL, c.ctype, strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		if status, _, body := readResp(t, resp); status != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, status, body, c.status)
		}
	}
	if status, body := e.accessKeyLogin("key", "secret"); status != http.StatusOK {
		t.Errorf("configured key: %d %s", status, body)
	}
	if got := e.sim.Stats().TokensIssued; got != 1 {
		t.Errorf("TokensIssued = %d, want 1", got)
	}
}

// passwordLogin posts the password grant to tokenURL, the client in HTTP Basic.
func passwordLogin(t *testing.T, e *env, tokenURL string, form url.Values, client, secret string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if client != "" {
		req.SetBasicAuth(client, secret)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return readResp(t, resp)
}

func TestAdminPasswordGrant(t *testing.T) {
	e := startEnv(t, Config{AppClientID: "app", AppClientSecret: "app-secret"})
	e.sim.Seed(number(1))
	resp, err := e.client.Get(e.hosts.Discovery + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	status, _, body := readResp(t, resp)
	var oidc struct {
		Issuer        string `json:"issuer"`
		TokenEndpoint string `json:"token_endpoint"`
	}
	mustJSON(t, body, &oidc)
	if status != http.StatusOK || oidc.Issuer != e.hosts.Discovery || oidc.TokenEndpoint != e.hosts.Discovery+"/auth/token" {
		t.Fatalf("openid-configuration: %d %s", status, body)
	}

	good := url.Values{"grant_type": {"password"}, "username": {"sim-access-key"}, "password": {"sim-access-secret"}, "scope": {"openid"}}
	status, hdr, body := passwordLogin(t, e, oidc.TokenEndpoint, good, "app", "app-secret")
	if status != http.StatusOK || hdr.Get("Cache-Control") != "no-store" {
		t.Fatalf("password grant: %d %s", status, body)
	}
	var tr adminTokenResponse
	mustJSON(t, body, &tr)
	if jwtPayload(t, tr.IDToken)["tenantId"] != "tenant-sim-1" || tr.ExpiresIn != 3600 {
		t.Errorf("token response %s", body)
	}
	e.tok = tr.AccessToken
	if status, _, body := e.adminCall(http.MethodGet, e.recordsPath(), ""); status != http.StatusOK {
		t.Fatalf("API call with the token: %d %s", status, body)
	}

	with := func(k, v string) url.Values {
		f := url.Values{}
		for key, vs := range good {
			f[key] = vs
		}
		f.Set(k, v)
		return f
	}
	for _, c := range []struct {
		name           string
		form           url.Values
		client, secret string
		status         int
		errCode        string
	}{
		{"wrong client secret", good, "app", "nope", 401, "invalid_client"},
		{"unknown client", good, "other", "app-secret", 401, "invalid_client"},
		{"no basic auth", good, "", "", 401, "invalid_client"},
		{"wrong key secret", with("password", "nope"), "app", "app-secret", 401, "invalid_grant"},
		{"wrong key id", with("username", "nope"), "app", "app-secret", 401, "invalid_grant"},
		{"client credentials grant", with("grant_type", "client_credentials"), "app", "app-secret", 400, "unsupported_grant_type"},
		{"client in the form, registered for basic", with("client_id", "app"), "", "", 401, "invalid_client"},
	} {
		status, _, body := passwordLogin(t, e, oidc.TokenEndpoint, c.form, c.client, c.secret)
		if status != c.status || errorOf(t, body) != c.errCode {
			t.Errorf("%s: %d %s, want %d %s", c.name, status, body, c.status, c.errCode)
		}
	}
	if st := e.sim.Stats(); st.TokensIssued != 1 || st.Requests[KindAdminPasswordToken][200] != 1 || st.Requests[KindAdminOpenID][200] != 1 {
		t.Errorf("stats %+v", st)
	}
}

// An application registered with client_secret_post authenticates in the form, and only there.
func TestAdminPasswordGrantClientSecretPost(t *testing.T) {
	e := startEnv(t, Config{AppClientID: "app", AppClientSecret: "app-secret", AppAuthMethod: "client_secret_post"})
	tokenURL := e.hosts.Discovery + "/auth/token"
	form := url.Values{"grant_type": {"password"}, "username": {"sim-access-key"}, "password": {"sim-access-secret"},
		"client_id": {"app"}, "client_secret": {"app-secret"}}
	if status, _, body := passwordLogin(t, e, tokenURL, form, "", ""); status != http.StatusOK {
		t.Fatalf("client_secret_post: %d %s", status, body)
	}
	if status, _, body := passwordLogin(t, e, tokenURL, form, "app", "app-secret"); status != http.StatusUnauthorized {
		t.Errorf("basic as well: %d %s, want 401", status, body)
	}
	form.Set("client_secret", "nope")
	if status, _, body := passwordLogin(t, e, tokenURL, form, "", ""); status != http.StatusUnauthorized {
		t.Errorf("wrong secret: %d %s, want 401", status, body)
	}
}

func TestAdminTokensAreProfileScoped(t *testing.T) {
	e := newEnv(t, Config{}) // v2 token
	if status, _, body := e.adminCall(http.MethodGet, e.recordsPath(), ""); status != http.StatusUnauthorized {
		t.Errorf("v2 token on the admin API: %d %s, want 401", status, body)
	}
	e.tok = e.adminToken()
	if status, _ := e.add(number(1)); status != http.StatusUnauthorized {
		t.Errorf("admin token on the v2 API: %d, want 401", status)
	}
}

func TestAdminTokenExpiresAndRevokes(t *testing.T) {
	clock := newFakeClock()
	e := newAdminEnv(t, Config{TokenTTL: time.Minute, Now: clock.Now})
	e.sim.Seed(number(1))
	list := func() int {
		status, _, _ := e.adminCall(http.MethodGet, e.recordsPath(), "")
		return status
	}
	clock.Advance(59 * time.Second)
	if got := list(); got != http.StatusOK {
		t.Fatalf("before expiry: %d", got)
	}
	clock.Advance(time.Second)
	if got := list(); got != http.StatusUnauthorized {
		t.Fatalf("at expiry: %d, want 401", got)
	}
	e.tok = e.adminToken()
	if got := list(); got != http.StatusOK {
		t.Fatalf("after login: %d", got)
	}
	e.sim.RevokeTokens()
	if got := list(); got != http.StatusUnauthorized {
		t.Fatalf("after revoke: %d, want 401", got)
	}
}
