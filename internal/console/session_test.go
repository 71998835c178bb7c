package console

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/gate"
	"github.com/dncsync/dncsync/internal/queue"
)

// post posts a form with headers (name, value, ...) and returns the answer, not following redirects.
func post(t *testing.T, u string, form url.Values, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// signIn signs in from the page's own origin and returns the session cookie ("name=value").
func (b *bundle) signIn(t *testing.T) string {
	t.Helper()
	resp, body := post(t, b.srv.URL+"/login", url.Values{"token": {token}}, "Origin", b.srv.URL)
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 1 {
		t.Fatalf("sign in: %d %v\n%s", resp.StatusCode, resp.Cookies(), body)
	}
	c := resp.Cookies()[0]
	return c.Name + "=" + c.Value
}

func (b *bundle) pageWith(t *testing.T, cookie string) int {
	t.Helper()
	resp, _ := get(t, noRedirect, b.srv.URL+"/", "Cookie", cookie)
	return resp.StatusCode
}

// TestSignOutEndsTheSessionEverywhere: a copy of the cookie stops working after sign-out, also on
// another replica on the same store.
func TestSignOutEndsTheSessionEverywhere(t *testing.T) {
	b := setup(t)
	cookie := b.signIn(t)
	other := httptest.NewServer(func() http.Handler {
		mux := http.NewServeMux()
		(&Handler{Store: b.store, Admin: gate.New(gate.Config{Realm: "admin", Token: token}), Sessions: b.store}).Register(mux)
		return mux
	}())
	defer other.Close()
	if b.pageWith(t, cookie) != http.StatusOK {
		t.Fatal("the session does not open the page")
	}
	if resp, _ := get(t, noRedirect, other.URL+"/", "Cookie", cookie); resp.StatusCode != http.StatusOK {
		t.Fatalf("another replica refuses the session: %d", resp.StatusCode)
	}
	resp, _ := post(t, b.srv.URL+"/logout", nil, "Origin", b.srv.URL, "Cookie", cookie)
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 1 || resp.Cookies()[0].MaxAge >= 0 {
		t.Fatalf("sign out: %d %v, want a redirect that clears the cookie", resp.StatusCode, resp.Cookies())
	}
	if got := b.pageWith(t, cookie); got != http.StatusSeeOther {
		t.Fatalf("a copy of the cookie after sign-out: %d, want a redirect to the login form", got)
	}
	if resp, _ := get(t, noRedirect, other.URL+"/", "Cookie", cookie); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a copy of the cookie on another replica after sign-out: %d", resp.StatusCode)
	}
	// Another session is not affected.
	if b.pageWith(t, b.signIn(t)) != http.StatusOK {
		t.Fatal("a new session after a sign-out does not open the page")
	}
}

func TestSessionExpiresAndIsBoundToTheToken(t *testing.T) {
	b := setup(t)
	now := time.Now()
	b.h.Now = func() time.Time { return now }
	cookie := b.signIn(t)
	now = now.Add(SessionTTL - time.Minute)
	if b.pageWith(t, cookie) != http.StatusOK {
		t.Fatal("the session ended before its time")
	}
	now = now.Add(2 * time.Minute)
	if got := b.pageWith(t, cookie); got != http.StatusSeeOther {
		t.Fatalf("a session past %s: %d, want a redirect to the login form", SessionTTL, got)
	}

	now = time.Now()
	cookie = b.signIn(t)
	// A cookie whose expiry was moved is refused: the signature covers it.
	name, value, _ := strings.Cut(cookie, "=")
	parts := strings.Split(value, ".")
	parts[2] = "9999999999"
	if got := b.pageWith(t, name+"="+strings.Join(parts, ".")); got != http.StatusSeeOther {
		t.Fatalf("a cookie with a forged expiry: %d", got)
	}
	// A new admin token ends every session.
	b.h.Admin = gate.New(gate.Config{Realm: "admin", Token: token + "-rotated"})
	if got := b.pageWith(t, cookie); got != http.StatusSeeOther {
		t.Fatalf("a session signed under the old token: %d", got)
	}
}

// failing is a store whose sign-out records cannot be read or written.
type failing struct{}

func (failing) RevokeSession(context.Context, string, time.Time) error {
	return queue.ErrUnavailable
}
func (failing) SessionRevoked(context.Context, string) (bool, error) {
	return false, queue.ErrUnavailable
}

func TestSessionsFailClosed(t *testing.T) {
	b := setup(t)
	cookie := b.signIn(t)
	b.h.Sessions = failing{}
	if got := b.pageWith(t, cookie); got != http.StatusServiceUnavailable {
		t.Fatalf("page when revocations cannot be read: %d, want 503", got)
	}
	resp, body := post(t, b.srv.URL+"/logout", nil, "Origin", b.srv.URL, "Cookie", cookie)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "could not record") ||
		len(resp.Cookies()) != 1 || resp.Cookies()[0].MaxAge >= 0 {
		t.Fatalf("sign out when it cannot be recorded: %d %v\n%s", resp.StatusCode, resp.Cookies(), body)
	}
}

func TestFormsRefuseOtherSites(t *testing.T) {
	b := setup(t)
	form := url.Values{"token": {token}}
	for name, hdr := range map[string][]string{
		"Origin of another site":          {"Origin", "https://evil.example"},
		"Origin null":                     {"Origin", "null"},
		"Sec-Fetch-Site cross-site":       {"Sec-Fetch-Site", "cross-site"},
		"Sec-Fetch-Site same-site":        {"Sec-Fetch-Site", "same-site", "Origin", "https://sub.example"},
		"Referer of another site only":    {"Referer", "https://evil.example/page"},
		"Referer that is not a URL, only": {"Referer", "::"},
	} {
		resp, _ := post(t, b.srv.URL+"/login", form, hdr...)
		if resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) != 0 {
			t.Errorf("login, %s: %d %v, want 403 and no cookie", name, resp.StatusCode, resp.Cookies())
		}
	}
	cookie := b.signIn(t)
	resp, _ := post(t, b.srv.URL+"/logout", nil, "Cookie", cookie, "Origin", "https://evil.example")
	if resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) != 0 {
		t.Fatalf("logout from another site: %d %v, want 403", resp.StatusCode, resp.Cookies())
	}
	if b.pageWith(t, cookie) != http.StatusOK {
		t.Fatal("a sign-out from another site ended the session")
	}
	// The page's own posts pass: by Origin, by Sec-Fetch-Site, by Referer, and a client that sends none.
	u, _ := url.Parse(b.srv.URL)
	for name, hdr := range map[string][]string{
		"Origin":         {"Origin", b.srv.URL},
		"Sec-Fetch-Site": {"Sec-Fetch-Site", "same-origin"},
		"Referer":        {"Referer", b.srv.URL + "/login"},
		"none":           {},
		"Referer host":   {"Referer", "http://" + u.Host + "/"},
	} {
		if resp, _ := post(t, b.srv.URL+"/login", form, hdr...); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("login, same origin by %s: %d", name, resp.StatusCode)
		}
	}
	// The public URL's origin is trusted (a proxy that rewrites Host).
	b.h.PublicURL = "https://dncsync.example.com"
	mux := http.NewServeMux()
	b.h.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	if resp, _ := post(t, srv.URL+"/login", form, "Origin", "https://dncsync.example.com"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("login from DNCSYNC_PUBLIC_URL's origin: %d", resp.StatusCode)
	}
}

func TestSecureCookieBehindProxies(t *testing.T) {
	for _, tc := range []struct {
		hdr  []string
		tls  bool
		want bool
	}{
		{nil, false, false},
		{nil, true, true},
		{[]string{"X-Forwarded-Proto", "https"}, false, true},
		{[]string{"X-Forwarded-Proto", "HTTPS"}, false, true},
		{[]string{"x-forwarded-proto", "Https"}, false, true},
		{[]string{"X-Forwarded-Proto", "https, http"}, false, true},
		{[]string{"X-Forwarded-Proto", "http"}, false, false},
		{[]string{"Forwarded", "for=192.0.2.60;proto=https;by=203.0.113.43"}, false, true},
		{[]string{"Forwarded", `Proto="HTTPS"`}, false, true},
		{[]string{"forwarded", "for=192.0.2.60;proto=http, for=198.51.100.17;proto=https"}, false, false},
	} {
		r := httptest.NewRequest(http.MethodPost, "/login", nil)
		for i := 0; i+1 < len(tc.hdr); i += 2 {
			r.Header[http.CanonicalHeaderKey(tc.hdr[i])] = []string{tc.hdr[i+1]}
		}
		if tc.tls {
			r.TLS = &tls.ConnectionState{}
		}
		if got := secureRequest(r); got != tc.want {
			t.Errorf("secure with %v tls %v: %v, want %v", tc.hdr, tc.tls, got, tc.want)
		}
	}
}

// TestLoginBacksOffButTheTokenWorks: repeated wrong tokens are answered 429 with Retry-After; the
// right one still signs in at once, and a bearer token's failures on the page count alike.
func TestLoginBacksOffButTheTokenWorks(t *testing.T) {
	b := setup(t)
	wrong := url.Values{"token": {"not-the-token-at-all"}}
	for i := range gate.FreeFailures {
		if resp, _ := post(t, b.srv.URL+"/login", wrong); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong token %d: %d, want 401", i+1, resp.StatusCode)
		}
	}
	resp, body := post(t, b.srv.URL+"/login", wrong)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" ||
		!strings.Contains(body, "Too many failed sign-ins") {
		t.Fatalf("wrong token after %d: %d Retry-After %q\n%s", gate.FreeFailures, resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if resp, _ := get(t, noRedirect, b.srv.URL+"/", "Authorization", "Bearer wrong-wrong-wrong"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("wrong bearer token from the backed-off client: %d, want 429", resp.StatusCode)
	}
	if b.pageWith(t, b.signIn(t)) != http.StatusOK {
		t.Fatal("the right token does not sign in during the back-off")
	}
}

// TestPageEscapesSenderText: what a sender wrote shows with its control characters escaped.
func TestPageEscapesSenderText(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	at := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	if _, err := b.store.Enqueue(ctx, []queue.Event{{Number: "+14155552671", Raw: "\u202e1762-555 (514)\x1b[2J",
		Action: queue.Add, Source: "crm\x1b]0;owned\x07", OccurredAt: at, ReceivedAt: at}}); err != nil {
		t.Fatal(err)
	}
	_, body := get(t, http.DefaultClient, b.srv.URL+"/?number=%2B14155552671", "Authorization", "Bearer "+token)
	if strings.ContainsAny(body, "\x1b\x07\u202e") {
		t.Fatalf("the page carries control characters:\n%s", body)
	}
	for _, want := range []string{`\u202e1762-555 (514)\x1b[2J`, `crm\x1b]0;owned\x07`} {
		if !strings.Contains(body, want) {
			t.Fatalf("page lacks %q:\n%s", want, body)
		}
	}
}
