package e2e

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestTwilioEndToEnd: signed SMS replies through the real binary. A reply whose words include an
// opt-out keyword reaches the list however it is written; START and other replies are kept as
// ignored with their words; Twilio may sign the public URL without the port it names.
func TestTwilioEndToEnd(t *testing.T) {
	sim, env := startSim(t, 6000)
	p := startServe(t, append(env, "DNCSYNC_DATA_DIR="+t.TempDir(), "TWILIO_AUTH_TOKEN=tw-secret",
		"DNCSYNC_PUBLIC_URL=https://dncsync.example.com:443", "DNCSYNC_ADMIN_TOKEN="+adminToken,
		"DNCSYNC_SMS_STOP_WORDS=ARRET")...)
	reply := func(from, body string) {
		t.Helper()
		form := url.Values{"Body": {body}, "From": {from}, "MessageSid": {"SM" + from + body}}
		// Twilio's signature: the URL it called, then each parameter name and value, names sorted.
		names := []string{"Body", "From", "MessageSid"}
		sort.Strings(names)
		s := "https://dncsync.example.com/webhook/twilio"
		for _, n := range names {
			s += n + form.Get(n)
		}
		m := hmac.New(sha1.New, []byte("tw-secret"))
		m.Write([]byte(s))
		req, _ := http.NewRequest(http.MethodPost, p.url+"/webhook/twilio", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", base64.StdEncoding.EncodeToString(m.Sum(nil)))
		resp, err := e2eClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/xml" {
			t.Fatalf("%q: answer %d %s", body, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	stops := map[string]string{"+14155552671": "Stop.", "+14155552672": "STOP please", "+14155552673": "ＳＴＯＰ",
		"+14155552674": "opt-out", "+14155552675": "Arrêt!"}
	var want []string
	for n, body := range stops {
		reply(n, body)
		want = append(want, n)
	}
	waitForList(t, sim, want, 30*time.Second)
	reply("+14155552676", "see you at the weekend")
	reply("+14155552671", "YES")
	if _, a := lookupNumber(t, p, "+14155552676"); a.State != "ignored" || !a.has("ignored", "sms_no_keyword") ||
		a.History[0].Reason != "see you at the weekend" {
		t.Fatalf("a reply without a keyword: %+v", a)
	}
	_, a := lookupNumber(t, p, "+14155552671")
	if !a.has("ignored", "sms_start") || a.State != "synced" {
		t.Fatalf("YES after STOP: %+v, want it kept as ignored", a)
	}
	for _, r := range a.History {
		if r.Kind == "received" && r.Action == "remove" {
			t.Fatalf("YES was taken as a removal: %+v", a)
		}
	}
}
