package intake_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/intake"
	"github.com/dncsync/dncsync/internal/queue"
)

const (
	twilioToken  = "twilio-auth-token"
	twilioPublic = "https://dncsync.example.com"
)

// twilioSign signs as Twilio does, written from its documentation independently of the handler.
func twilioSign(u string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := u
	for _, k := range keys {
		s += k + form.Get(k)
	}
	m := hmac.New(sha1.New, []byte(twilioToken))
	m.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func TestTwilio(t *testing.T) {
	q := openStore(t)
	h := intake.New(q, intake.Config{})
	mux := http.NewServeMux()
	mux.Handle("/webhook/twilio", intake.NewTwilio(h, twilioToken, twilioPublic+"/"))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	send := func(form url.Values, sig string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/webhook/twilio", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if sig != "" {
			req.Header.Set("X-Twilio-Signature", sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	signed := func(from, body string, extra ...string) *http.Response {
		f := url.Values{"From": {from}, "Body": {body}, "MessageSid": {"SM" + from + body}}
		for i := 0; i+1 < len(extra); i += 2 {
			f.Set(extra[i], extra[i+1])
		}
		return send(f, twilioSign(twilioPublic+"/webhook/twilio", f))
	}
	for _, tc := range []struct{ from, body string }{
		{"+14155550001", "STOP"}, {"+14155550002", "  opt out "}, {"+14155550003", "Unsubscribe"},
		{"+14155550004", "hello"}, {"+14155550005", "stop please"},
	} {
		resp := signed(tc.from, tc.body)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/xml" {
			t.Fatalf("%q: %d %s", tc.body, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	signed("+14155550006", "whatever", "OptOutType", "STOP")
	time.Sleep(5 * time.Millisecond) // receipt times decide: START must come a moment after STOP
	signed("+14155550001", "START")  // opts back in, later than its STOP
	if resp := send(url.Values{"From": {"+14155550007"}, "Body": {"STOP"}}, ""); resp.StatusCode != 403 {
		t.Fatalf("unsigned: %d, want 403", resp.StatusCode)
	}
	if resp := send(url.Values{"From": {"+14155550007"}, "Body": {"STOP"}}, "bm9wZQ=="); resp.StatusCode != 403 {
		t.Fatalf("badly signed: %d, want 403", resp.StatusCode)
	}
	items := claimAll(t, q)
	want := map[string]queue.Action{"+14155550001": queue.Remove, "+14155550002": queue.Add,
		"+14155550003": queue.Add, "+14155550006": queue.Add}
	if len(items) != len(want) {
		t.Fatalf("store holds %v, want %v", keys(items), want)
	}
	for n, a := range want {
		if items[n].Action != a || items[n].Source != "twilio" || items[n].Channel != "sms" {
			t.Fatalf("%s: %+v, want %s from twilio/sms", n, items[n], a)
		}
	}
}
