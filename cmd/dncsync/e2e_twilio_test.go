package main

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestTwilioEndToEnd: a signed STOP reply through the real binary reaches the list.
func TestTwilioEndToEnd(t *testing.T) {
	sim, env := startSim(t, 6000)
	const public = "https://dncsync.example.com"
	p := startServe(t, append(env, "DNCSYNC_DATA_DIR="+t.TempDir(), "TWILIO_AUTH_TOKEN=tw-secret",
		"DNCSYNC_PUBLIC_URL="+public)...)
	form := url.Values{"Body": {"Stop"}, "From": {"+14155552671"}, "MessageSid": {"SM1"}}
	// Twilio's signature: the public URL, then each parameter name and value, names sorted.
	m := hmac.New(sha1.New, []byte("tw-secret"))
	m.Write([]byte(public + "/webhook/twilio" + "BodyStop" + "From+14155552671" + "MessageSidSM1"))
	req, _ := http.NewRequest(http.MethodPost, p.url+"/webhook/twilio", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", base64.StdEncoding.EncodeToString(m.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/xml" {
		t.Fatalf("answer %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	waitForList(t, sim, []string{"+14155552671"}, 30*time.Second)
}
