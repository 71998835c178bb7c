package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/dncsync/dncsync/internal/gate"
	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/boltq"
	"github.com/dncsync/dncsync/internal/redistest"
)

// The console's sessions and forms, the accounting of failed sign-ins, the one bearer-token rule,
// the admin API's ?country= and caching, and the escaping of sender text, through the real binary.

// noFollow shows redirects instead of following them.
var noFollow = &http.Client{Timeout: time.Minute,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// call sends a request with headers (name, value, ...) and returns the answer and its body.
func call(t *testing.T, method, u string, form url.Values, hdr ...string) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// signIn posts the admin token to /login as the page's own form and returns the session cookie.
func signIn(t *testing.T, p *proc, hdr ...string) *http.Cookie {
	t.Helper()
	resp, body := call(t, http.MethodPost, p.url+"/login", url.Values{"token": {adminToken}},
		append([]string{"Origin", p.url}, hdr...)...)
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 1 {
		t.Fatalf("sign in: %d %v\n%s", resp.StatusCode, resp.Cookies(), body)
	}
	return resp.Cookies()[0]
}

func pageStatus(t *testing.T, p *proc, c *http.Cookie) int {
	t.Helper()
	resp, _ := call(t, http.MethodGet, p.url+"/", nil, "Cookie", c.Name+"="+c.Value)
	return resp.StatusCode
}

// TestConsoleSignOutEndsTheSession (issue 16, item 6): two replicas on one Redis; a session started
// on one and ended on the other stops working on both, also as a copied cookie. The forms refuse
// posts from other sites, and the cookie is Secure behind a proxy that says https in any casing.
func TestConsoleSignOutEndsTheSession(t *testing.T) {
	_, env := startSim(t, 6000)
	srv := redistest.Start(t)
	env = append(env, "REDIS_URL="+srv.URL(), "DNCSYNC_ADMIN_TOKEN="+adminToken)
	a, b := startServe(t, env...), startServe(t, env...)

	cookie := signIn(t, a)
	if pageStatus(t, a, cookie) != 200 || pageStatus(t, b, cookie) != 200 {
		t.Fatal("the session does not open the page on both replicas")
	}
	resp, _ := call(t, http.MethodPost, b.url+"/logout", nil, "Origin", b.url, "Cookie", cookie.Name+"="+cookie.Value)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %d", resp.StatusCode)
	}
	for name, p := range map[string]*proc{"the replica signed out on": b, "the other replica": a} {
		if got := pageStatus(t, p, cookie); got != http.StatusSeeOther {
			t.Errorf("the copied cookie after sign-out, on %s: %d, want a redirect to the login form", name, got)
		}
	}
	if pageStatus(t, a, signIn(t, a)) != 200 {
		t.Fatal("a new session after the sign-out does not open the page")
	}

	// Cross-site posts of the forms are refused, and change nothing.
	for name, hdr := range map[string][]string{
		"Origin of another site":    {"Origin", "https://evil.example"},
		"Sec-Fetch-Site cross-site": {"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"},
		"Referer of another site":   {"Referer", "https://evil.example/x"},
	} {
		resp, _ := call(t, http.MethodPost, a.url+"/login", url.Values{"token": {adminToken}}, hdr...)
		if resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) != 0 {
			t.Errorf("sign in from another site (%s): %d %v, want 403 and no cookie", name, resp.StatusCode, resp.Cookies())
		}
	}
	live := signIn(t, a)
	resp, _ = call(t, http.MethodPost, a.url+"/logout", nil, "Origin", "https://evil.example", "Cookie", live.Name+"="+live.Value)
	if resp.StatusCode != http.StatusForbidden || pageStatus(t, a, live) != 200 {
		t.Errorf("sign out from another site: %d; the session must live on", resp.StatusCode)
	}

	// Secure behind a TLS proxy, whatever casing it uses.
	for _, hdr := range [][]string{
		{"X-Forwarded-Proto", "HTTPS"},
		{"x-forwarded-proto", "Https"},
		{"Forwarded", "for=192.0.2.60;proto=https;by=203.0.113.43"},
		{"Forwarded", `for=192.0.2.60; Proto="HTTPS"`},
	} {
		if c := signIn(t, a, hdr...); !c.Secure {
			t.Errorf("cookie behind %s: %q is not Secure", hdr[0], hdr[1])
		}
	}
	if c := signIn(t, a); c.Secure {
		t.Error("cookie over plain HTTP without a proxy is Secure: the browser would never send it back")
	}
}

var authLine = regexp.MustCompile(`(?m)^.*authentication failed.*$`)

// TestFailedSignInsAreLoggedCountedAndBackedOff (issue 16, item 7): a flood of wrong tokens on
// /login and /v1 is backed off (429 with Retry-After), counted in /metrics and logged in a few
// lines that name the client and never the token; the right token works at once.
func TestFailedSignInsAreLoggedCountedAndBackedOff(t *testing.T) {
	_, env := startSim(t, 6000)
	p := startServe(t, append(env, "DNCSYNC_DATA_DIR="+t.TempDir(), "DNCSYNC_ADMIN_TOKEN="+adminToken)...)
	const guess = "guess-d3adb33f-not-the-token"
	statuses := map[int]int{}
	retryAfter := ""
	for i := range 250 {
		resp, _ := call(t, http.MethodPost, p.url+"/login", url.Values{"token": {guess}}, "Origin", p.url)
		statuses[resp.StatusCode]++
		resp, _ = call(t, http.MethodGet, p.url+"/v1/stats", nil, "Authorization", "Bearer "+guess+fmt.Sprint(i))
		statuses[resp.StatusCode]++
		if resp.StatusCode == http.StatusTooManyRequests {
			retryAfter = resp.Header.Get("Retry-After")
		}
	}
	if statuses[http.StatusUnauthorized] != gate.FreeFailures || statuses[http.StatusTooManyRequests] != 500-gate.FreeFailures {
		t.Fatalf("answers to 500 wrong tokens: %v; want %d 401 then 429", statuses, gate.FreeFailures)
	}
	if retryAfter == "" {
		t.Fatal("a 429 without Retry-After")
	}
	// The right token works at once, on both.
	if code := getJSON(t, p.url+"/v1/stats", adminToken, nil); code != 200 {
		t.Fatalf("the right token on /v1 during the back-off: %d", code)
	}
	if pageStatus(t, p, signIn(t, p)) != 200 {
		t.Fatal("the right token on /login during the back-off does not open the page")
	}
	resp, metrics := call(t, http.MethodGet, p.url+"/metrics", nil)
	if resp.StatusCode != 200 || !strings.Contains(metrics, `dncsync_auth_failures_total{realm="admin"} 500`) ||
		!strings.Contains(metrics, fmt.Sprintf(`dncsync_auth_throttled_total{realm="admin"} %d`, 500-gate.FreeFailures)) {
		t.Fatalf("metrics lack the failures:\n%s", grepLines(metrics, "dncsync_auth_"))
	}
	p.kill() // the log is complete, and no longer written
	lines := authLine.FindAllString(p.stderr.String(), -1)
	if len(lines) < gate.FreeFailures || len(lines) > 20 {
		t.Fatalf("%d log lines for 500 failures, want a few:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	t.Logf("500 wrong tokens: %v; %d log lines", statuses, len(lines))
	for _, l := range lines {
		if strings.Contains(l, "guess") || strings.Contains(l, adminToken) || !strings.Contains(l, `"client":"127.0.0.1"`) {
			t.Fatalf("log line %s: want the client, never the token sent", l)
		}
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestOneBearerRule (issue 17's finding): the admin API, the status page, /metrics and the webhook
// read "Authorization: Bearer" by one rule: the scheme in any casing, then one or more spaces.
func TestOneBearerRule(t *testing.T) {
	_, env := startSim(t, 6000)
	const metricsToken = "e2e-metrics-token-0123456789"
	p := startServe(t, append(env, "DNCSYNC_DATA_DIR="+t.TempDir(), "DNCSYNC_ADMIN_TOKEN="+adminToken,
		"DNCSYNC_METRICS_TOKEN="+metricsToken)...)
	for _, form := range []string{"Bearer %s", "bearer %s", "BEARER  %s", "Bearer   %s"} {
		for _, tc := range []struct {
			method, path, token, body string
		}{
			{http.MethodGet, "/v1/stats", adminToken, ""},
			{http.MethodGet, "/", adminToken, ""},
			{http.MethodGet, "/metrics", metricsToken, ""},
			{http.MethodPost, "/webhook/opt-out", webhookToken, `{"phoneNumber":"+14155552671"}`},
		} {
			req, _ := http.NewRequest(tc.method, p.url+tc.path, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", fmt.Sprintf(form, tc.token))
			resp, err := noFollow.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("%s %s with %q: %d, want 200", tc.method, tc.path, fmt.Sprintf(form, "TOKEN"), resp.StatusCode)
			}
		}
	}
	for _, h := range []string{"Bearer", "Bearer ", "Basic " + adminToken, adminToken} {
		for _, path := range []string{"/v1/stats", "/metrics"} {
			if resp, _ := call(t, http.MethodGet, p.url+path, nil, "Authorization", h); resp.StatusCode != 401 {
				t.Errorf("GET %s with %q: %d, want 401", path, h, resp.StatusCode)
			}
		}
	}
}

// TestNumberQueryIgnoresCountryForE164AndIsNotCached (issue 16, item 9).
func TestNumberQueryIgnoresCountryForE164AndIsNotCached(t *testing.T) {
	sim, env := startSim(t, 6000)
	p := startServe(t, append(env, "DNCSYNC_DATA_DIR="+t.TempDir(), "DNCSYNC_ADMIN_TOKEN="+adminToken)...)
	if code, body, err := p.post(`{"phoneNumber":"+1 415 555 0177"}`); err != nil || code != 200 {
		t.Fatalf("post: %d %s %v", code, body, err)
	}
	waitFor(t, "the number to reach CXone", func() bool { return sim.Has("+14155550177") })
	var a struct{ Number, State string }
	waitFor(t, "the number to read as synced", func() bool {
		return getJSON(t, p.url+"/v1/numbers/+14155550177", adminToken, &a) == 200 && a.State == "synced"
	})
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/v1/numbers/+14155550177?country=XX", 200},
		{"/v1/numbers/+14155550177?country=GB", 200},
		{"/v1/numbers/4155550177?country=XX", 400},
		{"/v1/numbers/4155550177?country=US", 200},
	} {
		resp, body := call(t, http.MethodGet, p.url+tc.path, nil, "Authorization", "Bearer "+adminToken)
		if resp.StatusCode != tc.status {
			t.Errorf("GET %s: %d, want %d\n%s", tc.path, resp.StatusCode, tc.status, body)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("GET %s: Cache-Control %q, want no-store", tc.path, cc)
		}
		if tc.status == 200 && !strings.Contains(body, `"state": "synced"`) {
			t.Errorf("GET %s:\n%s", tc.path, body)
		}
	}
	for _, path := range []string{"/v1/dead-letters", "/v1/rejections", "/v1/stats"} {
		if resp, _ := call(t, http.MethodGet, p.url+path, nil, "Authorization", "Bearer "+adminToken); resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s: Cache-Control %q, want no-store", path, resp.Header.Get("Cache-Control"))
		}
	}
}

// hiddenChar finds a character that acts on a terminal (a control other than a newline, DEL, a C1
// control) or reorders text (a bidirectional override).
func hiddenChar(s string) (rune, bool) {
	for _, r := range s {
		if (r < 0x20 && r != '\n') || (r >= 0x7f && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			return r, true
		}
	}
	return 0, false
}

// TestOperatorOutputEscapesControlCharacters (issue 16, item 8): what senders wrote reaches the
// operator's terminal with its escape sequences shown, not run: rejected list (a sender's post
// through the service), then dlq list, lookup, audit export and rejected list on the store.
func TestOperatorOutputEscapesControlCharacters(t *testing.T) {
	_, env := startSim(t, 6000)
	dir := t.TempDir()
	p := startServe(t, append(env, "DNCSYNC_DATA_DIR="+dir, "DNCSYNC_ADMIN_TOKEN="+adminToken)...)
	// A sender's number that clears the screen and retitles the window.
	if code, body, err := p.post(`{"phoneNumber":"\u001b]0;pwned\u0007\u001b[2J\u009b31m12","source":"crm\u001b[5m"}`); err != nil || code != 422 {
		t.Fatalf("post: %d %s %v", code, body, err)
	}
	out, errOut, code := runCmd(t, []string{"DNCSYNC_ADMIN_TOKEN=" + adminToken}, "", "rejected", "list", "--server", p.url)
	if code != 0 || !strings.Contains(out, `\x1b]0;pwned\x07\x1b[2J\u009b31m12`) {
		t.Errorf("rejected list --server: exit %d\n%q%s", code, out, errOut)
	}
	if r, ok := hiddenChar(out); ok {
		t.Errorf("rejected list --server prints %U:\n%q", r, out)
	}
	p.kill()

	// On the store itself: a dead letter whose raw input, source and error carry sequences.
	s, err := boltq.Open(filepath.Join(dir, "dncsync.db"), boltq.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	at := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	if _, err := s.Enqueue(ctx, []queue.Event{{Number: "+14155552671", Raw: "\u202e1762-555 (514)\x1b[8m",
		Action: queue.Add, Source: "web\u009b2J", OccurredAt: at, ReceivedAt: at}}); err != nil {
		t.Fatal(err)
	}
	items, err := s.Claim(ctx, 1, time.Minute)
	if err != nil || len(items) != 1 {
		t.Fatalf("claim: %v %v", items, err)
	}
	if err := s.DeadLetter(ctx, items[0], "cxone add: 400 \x1b[2J\x1b]0;pwned\x07 \u009b1m"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	storeEnv := []string{"DNCSYNC_DATA_DIR=" + dir}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"dlq", "list"}, []string{`cxone add: 400 \x1b[2J\x1b]0;pwned\x07 \u009b1m`}},
		{[]string{"rejected", "list"}, []string{`\x1b]0;pwned\x07\x1b[2J\u009b31m12`, `crm\x1b[5m`}},
		{[]string{"lookup", "+14155552671"}, []string{`\u202e1762-555 (514)\u001b[8m`, `web\u009b2J`}},
		{[]string{"dlq", "list", "--json"}, []string{`\u009b1m`}},
		{[]string{"audit", "export", "--format", "csv"}, []string{`\u202e1762-555 (514)\x1b[8m`, `cxone add: 400 \x1b[2J`}},
		{[]string{"audit", "export"}, []string{`\u202e1762-555 (514)\u001b[8m`}},
	} {
		out, errOut, code := runCmd(t, storeEnv, "", tc.args...)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s", strings.Join(tc.args, " "), code, errOut)
		}
		if r, ok := hiddenChar(out + errOut); ok {
			t.Errorf("%s prints %U:\n%q", strings.Join(tc.args, " "), r, out)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s lacks %q:\n%s", strings.Join(tc.args, " "), w, out)
			}
		}
	}
	// The JSON forms keep the exact text.
	out, _, _ = runCmd(t, storeEnv, "", "lookup", "+14155552671")
	var ans struct{ History []struct{ Raw string } }
	if err := json.Unmarshal([]byte(out), &ans); err != nil || len(ans.History) == 0 || ans.History[0].Raw != "\u202e1762-555 (514)\x1b[8m" {
		t.Fatalf("lookup JSON does not decode to the raw text: %v %+v", err, ans)
	}
}

// TestSignOutInChromium: a real browser signs in and out through the forms, on a host name that is
// not loopback, so Chromium sends no Sec-Fetch-Site and the forms pass the cross-site check on their
// Origin alone (under Referrer-Policy: no-referrer it would be "null" and refused). The cookie the
// browser held is refused after the sign-out.
func TestSignOutInChromium(t *testing.T) {
	browser := chromium(t)
	_, env := startSim(t, 6000)
	p := startServe(t, append(env, "DNCSYNC_DATA_DIR="+t.TempDir(), "DNCSYNC_ADMIN_TOKEN="+adminToken)...)
	u, _ := url.Parse(p.url)
	base := "http://dncsync.test:" + u.Port()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("host-resolver-rules", "MAP dncsync.test 127.0.0.1"), chromedp.UserDataDir(t.TempDir()))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	defer cancelT()
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("chromium: %s: %v", what, err)
		}
	}
	do("open the page", chromedp.Navigate(base+"/"), chromedp.WaitVisible(`input[name=token]`))
	do("sign in", chromedp.SendKeys(`input[name=token]`, adminToken), chromedp.Submit(`input[name=token]`),
		chromedp.WaitVisible(`#queue`))
	cookies, err := chromedp.Run(ctx, func(ctx context.Context, tg *chromedp.Target) ([]*network.Cookie, error) {
		res, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{})
		return res.Cookies, err
	})
	if err != nil || len(cookies) != 1 {
		t.Fatalf("the browser's cookies: %v %v", cookies, err)
	}
	held := &http.Cookie{Name: cookies[0].Name, Value: cookies[0].Value}
	if pageStatus(t, p, held) != 200 {
		t.Fatal("the browser's session does not open the page")
	}
	do("sign out", chromedp.Click(`header form button`), chromedp.WaitVisible(`input[name=token]`))
	if got := pageStatus(t, p, held); got != http.StatusSeeOther {
		t.Fatalf("the cookie the browser held, after its sign-out: %d, want a redirect to the login form", got)
	}
}
