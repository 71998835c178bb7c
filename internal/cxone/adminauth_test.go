package cxone

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func TestAdminLoginAccessKeyAndDiscovery(t *testing.T) {
	f := newAdminFake(t)
	a, p := newTestAdmin(f, nil)
	for range 3 {
		if err := a.Login(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.hit("POST /authentication/v1/token/access-key"); n != 1 {
		t.Errorf("%d token requests for three logins, want 1 (cached)", n)
	}
	if n := f.hit("GET /.well-known/cxone-configuration"); n != 1 {
		t.Errorf("%d discoveries, want 1 (cached)", n)
	}
	if u, _ := a.servicesURL(context.Background()); u != f.URL+"/inContactAPI/services/"+DefaultAdminAPIVersion {
		t.Errorf("services URL %q: api_endpoint's trailing slash not trimmed?", u)
	}
	if w, _, _ := p.counts(); w != 0 {
		t.Errorf("login and discovery took %d pacer slots; they are not API calls", w)
	}
}

func TestAdminLoginConcurrentSharesOneFetch(t *testing.T) {
	f := newAdminFake(t)
	a, _ := newTestAdmin(f, nil)
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Go(func() { errs[i] = a.Login(context.Background()) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := f.hit("POST /authentication/v1/token/access-key"); n != 1 {
		t.Errorf("%d token requests, want 1", n)
	}
	if n := f.hit("GET /.well-known/cxone-configuration"); n != 1 {
		t.Errorf("%d discoveries, want 1", n)
	}
}

func TestAdminBadCredentialsNameTheVariables(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*AdminConfig)
		vars   []string
	}{
		{"access key", func(c *AdminConfig) { c.AccessKeySecret = "wrong" },
			[]string{"CXONE_ACCESS_KEY_ID", "CXONE_ACCESS_KEY_SECRET"}},
		{"app client", func(c *AdminConfig) { c.ClientID, c.ClientSecret = fakeClientID, "wrong" },
			[]string{"CXONE_ACCESS_KEY_ID", "CXONE_ACCESS_KEY_SECRET", "CXONE_CLIENT_ID", "CXONE_CLIENT_SECRET"}},
		{"app user", func(c *AdminConfig) {
			c.ClientID, c.ClientSecret, c.AccessKeySecret = fakeClientID, fakeClientSec, "wrong"
		}, []string{"CXONE_ACCESS_KEY_ID", "CXONE_ACCESS_KEY_SECRET", "CXONE_CLIENT_ID", "CXONE_CLIENT_SECRET"}},
		{"no key", func(c *AdminConfig) { c.AccessKeyID = "" },
			[]string{"CXONE_ACCESS_KEY_ID", "CXONE_ACCESS_KEY_SECRET"}},
		{"half an app", func(c *AdminConfig) { c.ClientID = fakeClientID },
			[]string{"CXONE_CLIENT_ID", "CXONE_CLIENT_SECRET"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newAdminFake(t)
			a, _ := newTestAdmin(f, tc.change)
			err := a.Login(context.Background())
			e := asError(t, err)
			if e.Kind != Config || e.Op != "token" {
				t.Fatalf("got %v, want a config error from the token step", err)
			}
			for _, v := range tc.vars {
				if !strings.Contains(e.Msg, v) {
					t.Errorf("message %q does not name %s", e.Msg, v)
				}
			}
			assertLogSafe(t, err)
			// The same failure reaches every contact of a push, as Config: nothing an item can fix.
			for _, err := range a.Add(context.Background(), []Contact{{Number: "+14155552671"}}) {
				if KindOf(err) != Config {
					t.Errorf("add with bad credentials: %v", err)
				}
			}
		})
	}
}

// A login host that has no access-key login is the deployment's setting: Config, naming it.
func TestAdminWrongLoginHostIsConfig(t *testing.T) {
	f := newAdminFake(t)
	a, _ := newTestAdmin(f, func(c *AdminConfig) { c.AuthURL = f.URL + "/elsewhere" })
	err := a.Login(context.Background())
	if e := asError(t, err); e.Kind != Config || !strings.Contains(e.Msg, "CXONE_REGION or CXONE_AUTH_URL") {
		t.Fatalf("got %v", err)
	}
}

func TestAdminAppModePasswordGrant(t *testing.T) {
	f := newAdminFake(t)
	a, _ := newTestAdmin(f, func(c *AdminConfig) { c.ClientID, c.ClientSecret = fakeClientID, fakeClientSec })
	for range 3 {
		if err := a.Login(context.Background()); err != nil {
			t.Fatal(err)
		}
		tok, _ := a.c.Tokens().Get(context.Background())
		a.c.Tokens().Invalidate(tok) // the next login fetches again
	}
	if n := f.hit("POST /auth/token"); n != 3 {
		t.Errorf("%d password grants, want 3", n)
	}
	if n := f.hit("GET /.well-known/openid-configuration"); n != 1 {
		t.Errorf("token_endpoint discovered %d times, want once", n)
	}
	if n := f.hit("POST /authentication/v1/token/access-key"); n != 0 {
		t.Errorf("app mode used the access-key endpoint %d times", n)
	}

	post, _ := newTestAdmin(f, func(c *AdminConfig) {
		c.ClientID, c.ClientSecret, c.ClientAuthMethod = fakeClientID, fakeClientSec, ClientSecretPost
	})
	if err := post.Login(context.Background()); err != nil {
		t.Fatalf("client_secret_post: %v", err)
	}
}

func TestAdminAppModeRediscoversAfterFailure(t *testing.T) {
	f := newAdminFake(t)
	var failed atomic.Bool
	f.tokenFn = func(w http.ResponseWriter, r *http.Request) bool {
		if !failed.Swap(true) {
			http.Error(w, "<html>bad gateway</html>", http.StatusBadGateway)
			return true
		}
		return false
	}
	a, _ := newTestAdmin(f, func(c *AdminConfig) { c.ClientID, c.ClientSecret = fakeClientID, fakeClientSec })
	if err := a.Login(context.Background()); KindOf(err) != Transient {
		t.Fatalf("502 from the token endpoint: %v, want transient", err)
	}
	if err := a.Login(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := f.hit("GET /.well-known/openid-configuration"); n != 2 {
		t.Errorf("openid configuration read %d times, want 2 (again after the endpoint failed)", n)
	}
}

func TestAdmin401RefreshesOnce(t *testing.T) {
	f := newAdminFake(t)
	f.setAPI(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"resultSet":{"errorCount":0,"recordResults":[{"success":true,"phoneNumber":"4155552671","formattedPhone":"(415) 555-2671","error":""}]}}`)
	})
	a, _ := newTestAdmin(f, nil)
	if err := a.Login(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.revokeAll() // the cached token no longer works
	errs := a.Add(context.Background(), []Contact{{Number: "+14155552671"}})
	if errs[0] != nil {
		t.Fatalf("add after revocation: %v", errs[0])
	}
	if n := f.hit("POST /authentication/v1/token/access-key"); n != 2 {
		t.Errorf("%d token requests, want 2 (one refresh)", n)
	}
	if n := f.hit("POST " + recordsPath); n != 2 {
		t.Errorf("%d add requests, want 2 (one retry)", n)
	}

	// A token refused even when fresh is the deployment's problem, after exactly one retry.
	f.setAPI(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", http.StatusUnauthorized) })
	errs = a.Add(context.Background(), []Contact{{Number: "+14155552671"}})
	if e := asError(t, errs[0]); e.Kind != Config || e.Status != http.StatusUnauthorized {
		t.Fatalf("always 401: %v", errs[0])
	}
	if n := f.hit("POST " + recordsPath); n != 4 {
		t.Errorf("%d add requests, want 4", n)
	}
}

func TestAdminDiscoveryFailureIsSeenAndRetried(t *testing.T) {
	f := newAdminFake(t)
	var calls atomic.Int32
	f.discover = func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			http.Error(w, "<html><body>Service Unavailable</body></html>", http.StatusServiceUnavailable)
			return
		}
		writeJSON(w, 200, `{"api_endpoint":"`+f.URL+`"}`)
	}
	a, _ := newTestAdmin(f, nil)
	err := a.Login(context.Background())
	if e := asError(t, err); e.Kind != Transient || e.Op != "discover" || e.Status != 503 ||
		!strings.Contains(e.Msg, "Service Unavailable") {
		t.Fatalf("first login: %v, want a transient discovery error with the answer's excerpt", err)
	}
	if err := a.Login(context.Background()); err != nil {
		t.Fatalf("second login: %v (discovery not retried?)", err)
	}
	if err := a.Login(context.Background()); err != nil || calls.Load() != 2 {
		t.Fatalf("third login: %v after %d discoveries, want 2 (cached once found)", err, calls.Load())
	}
}

func TestAdminDiscoveryErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		tenant  string
		answer  func(f *adminFake) http.HandlerFunc
		kind    Kind
		mention string
	}{
		{"token without tenant", "", nil, Config, "CXONE_API_BASE"},
		{"unknown tenant", "tenant-1", func(*adminFake) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) { http.Error(w, "not found", 404) }
		}, Config, "CXONE_DISCOVERY_URL"},
		{"no api_endpoint", "tenant-1", func(*adminFake) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `{"area":"na1"}`) }
		}, Transient, "unexpected answer"},
		{"relative api_endpoint", "tenant-1", func(*adminFake) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `{"api_endpoint":"/api"}`) }
		}, Transient, "unexpected answer"},
		{"empty body", "tenant-1", func(*adminFake) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {}
		}, Transient, "empty body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newAdminFake(t)
			f.tenant = tc.tenant
			if tc.answer != nil {
				f.discover = tc.answer(f)
			}
			a, _ := newTestAdmin(f, nil)
			err := a.Login(context.Background())
			e := asError(t, err)
			if e.Kind != tc.kind || !strings.Contains(e.Error(), tc.mention) {
				t.Fatalf("got %v, want %v mentioning %q", err, tc.kind, tc.mention)
			}
			// Items see the same error rather than a success or a dead letter.
			if errs := a.Add(context.Background(), []Contact{{Number: "+14155552671"}}); KindOf(errs[0]) != tc.kind {
				t.Errorf("add: %v", errs[0])
			}
		})
	}
}

func TestAdminConfiguredAPIBaseSkipsDiscovery(t *testing.T) {
	f := newAdminFake(t)
	f.tenant = "" // discovery would fail
	var path atomic.Value
	f.setAPI(func(w http.ResponseWriter, r *http.Request) {
		path.Store(r.URL.Path)
		writeJSON(w, 200, `{"resultSet":{"totalRecords":0,"dncRecords":[]}}`)
	})
	a, _ := newTestAdmin(f, func(c *AdminConfig) { c.APIBase, c.APIVersion = f.URL+"/inContactAPI/", "31.0" })
	if err := a.Login(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.ListRecords(context.Background(), 0, 10); err != nil {
		t.Fatal(err)
	}
	if want := "/inContactAPI/services/v31.0/dnc-groups/" + fakeGroup + "/records"; path.Load() != want {
		t.Errorf("path %q, want %q", path, want)
	}
	if n := f.hit("GET /.well-known/cxone-configuration"); n != 0 {
		t.Errorf("%d discoveries with CXONE_API_BASE set", n)
	}
}

func TestTenantClaim(t *testing.T) {
	enc := base64.RawURLEncoding.EncodeToString
	for _, tc := range []struct{ tok, want, why string }{
		{fakeJWT(map[string]any{"tenantId": "11EB-abc"}), "11EB-abc", ""},
		{fakeJWT(map[string]any{"tenantId": 4711}), "4711", ""},
		{"h." + base64.URLEncoding.EncodeToString([]byte(`{"tenantId":"padded?"}`)) + ".s", "padded?", ""},
		{"h." + enc([]byte(`{"sub":"x"}`)) + ".s", "", "has no tenantId claim"},
		{"h." + enc([]byte(`not json`)) + ".s", "", "is not a JWT"},
		{"h.!!!.s", "", "is not a JWT"},
		{"opaque-token", "", "is not a JWT"},
		{"a.b.c.d", "", "is not a JWT"},
	} {
		if got, why := tenantClaim(tc.tok); got != tc.want || why != tc.why {
			t.Errorf("tenantClaim(%q) = %q, %q; want %q, %q", tc.tok, got, why, tc.want, tc.why)
		}
	}
}

// tenantId is read from the id_token first, then from the access token; when neither has it, the
// error says what each lacked.
func TestAdminTenantFromIDTokenThenAccessToken(t *testing.T) {
	for _, tc := range []struct {
		claimIn, tenant string
		ok              bool
		why             string
	}{
		{"id", "tenant-1", true, ""},
		{"both", "tenant-1", true, ""},
		{"access", "tenant-1", true, ""},
		{"no-id", "tenant-1", true, ""},
		{"id", "", false, "the id_token has no tenantId claim, and the access token has no tenantId claim"},
		{"no-id", "", false, "the login answer has no id_token, and the access token has no tenantId claim"},
	} {
		t.Run(tc.claimIn+"/"+tc.tenant, func(t *testing.T) {
			f := newAdminFake(t)
			f.claimIn, f.tenant = tc.claimIn, tc.tenant
			a, _ := newTestAdmin(f, nil)
			d, err := a.Discover(context.Background())
			if !tc.ok {
				if e := asError(t, err); e.Kind != Config || !strings.Contains(e.Msg, tc.why) ||
					!strings.Contains(e.Msg, "CXONE_API_BASE") {
					t.Fatalf("got %v, want a config error saying %q", err, tc.why)
				}
				return
			}
			if err != nil || d.Tenant != "tenant-1" || d.APIBase != f.URL || d.Via != f.URL {
				t.Fatalf("discovery %+v, %v", d, err)
			}
		})
	}
}

func TestLazyValueHonoursContextWhileWaiting(t *testing.T) {
	l := newLazyValue()
	started, release := make(chan struct{}), make(chan struct{})
	go l.get(context.Background(), "discover", func(context.Context) (string, error) {
		close(started)
		<-release
		return "v", nil
	})
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.get(ctx, "discover", nil); KindOf(err) != Transient {
		t.Fatalf("waiting with a cancelled context: %v", err)
	}
	close(release)
	v, err := l.get(context.Background(), "discover", func(context.Context) (string, error) {
		t.Error("discovered twice")
		return "", nil
	})
	if err != nil || v != "v" {
		t.Fatalf("got %q, %v", v, err)
	}
}
