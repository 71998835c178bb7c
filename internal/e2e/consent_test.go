package e2e

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const readToken = "e2e-read-token-0123456789"

// eligibility is the answer of GET /v1/eligibility, as these tests read it.
type eligibility struct {
	Number   string    `json:"number"`
	Eligible bool      `json:"eligible"`
	Reason   string    `json:"reason"`
	Since    time.Time `json:"since"`
	Event    *struct {
		Action  string `json:"action"`
		EventID string `json:"eventId"`
		Policy  string `json:"policy"`
		Said    string `json:"said"`
		Scope   struct {
			Channel string `json:"channel"`
		} `json:"scope"`
	} `json:"event"`
	Destinations []struct {
		Destination string `json:"destination"`
		Confirms    bool   `json:"confirms"`
	} `json:"destinations"`
}

func eligible(t *testing.T, p *proc, number, channel string) eligibility {
	t.Helper()
	var e eligibility
	q := url.Values{"number": {number}, "channel": {channel}}
	if code := getJSON(t, p.url+"/v1/eligibility?"+q.Encode(), readToken, &e); code != 200 {
		t.Fatalf("eligibility of %s on %s: %d", number, channel, code)
	}
	return e
}

func (e eligibility) eventID() string {
	if e.Event == nil {
		return ""
	}
	return e.Event.EventID
}

// twilioReply posts a signed SMS reply.
func twilioReply(t *testing.T, p *proc, from, body string) {
	t.Helper()
	form := url.Values{"Body": {body}, "From": {from}, "MessageSid": {"SM" + from + body}}
	s := "https://dncsync.example.com/webhook/twilio" + "Body" + body + "From" + from + "MessageSid" + form.Get("MessageSid")
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
	if resp.StatusCode != 200 {
		t.Fatalf("%q from %s: %d", body, from, resp.StatusCode)
	}
}

// scrub runs dncsync scrub --server on list and returns the scrubbed list and the report.
func scrub(t *testing.T, p *proc, list string, args ...string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "calls.csv")
	if err := os.WriteFile(in, []byte(list), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binPath, append(append([]string{"scrub", "--server", p.url}, args...), in)...)
	cmd.Env = append(cleanEnv(), "DNCSYNC_READ_TOKEN="+readToken)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scrub: %v\n%s", err, out)
	}
	got, err := os.ReadFile(filepath.Join(dir, "calls.scrubbed.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := os.ReadFile(filepath.Join(dir, "calls.scrub-report.csv"))
	if err != nil {
		t.Fatal(err)
	}
	return string(got), string(rep)
}

// TestEligibilityAndScrubEndToEnd: an opt-out of every channel (as senders send today) makes the
// number ineligible, and the answer names the request and the destination that confirmed it; a
// later consent makes it eligible again; scrub removes exactly the ineligible rows of a known list.
func TestEligibilityAndScrubEndToEnd(t *testing.T) {
	sim, env := startSim(t, 6000)
	p := startServe(t, append(env, "DNCSYNC_DATA_DIR="+t.TempDir(), "DNCSYNC_ADMIN_TOKEN="+adminToken,
		"DNCSYNC_READ_TOKEN="+readToken)...)
	postOK(t, p, `{"phoneNumber":"+14155550201","eventId":"out-201","reason":"asked"}`)
	postOK(t, p, `{"phoneNumber":"+14155550202","eventId":"out-202"}`)
	postOK(t, p, `{"phoneNumber":"+14155550203","eventId":"out-203","occurredAt":"2026-01-01T00:00:00Z"}`)
	postOK(t, p, `{"phoneNumber":"+14155550203","eventId":"in-203","action":"remove","occurredAt":"2026-02-01T00:00:00Z"}`)
	waitForList(t, sim, []string{"+14155550201", "+14155550202"}, 30*time.Second)

	e := eligible(t, p, "415-555-0201", "sms")
	if e.Eligible || e.Reason != "opted_out" || e.eventID() != "out-201" || e.Event.Said != "asked" || e.Since.IsZero() {
		t.Fatalf("after an opt-out: %+v", e)
	}
	waitFor(t, "cxone to confirm in the answer", func() bool {
		e = eligible(t, p, "+14155550201", "voice")
		return len(e.Destinations) == 1 && e.Destinations[0].Destination == "cxone" && e.Destinations[0].Confirms
	})
	if e := eligible(t, p, "+14155550203", "voice"); !e.Eligible || e.Reason != "consent" || e.eventID() != "in-203" {
		t.Fatalf("after a later consent: %+v", e)
	}
	if code := getJSON(t, p.url+"/v1/numbers/+14155550201", readToken, nil); code != http.StatusUnauthorized {
		t.Fatalf("the read token on /v1/numbers: %d, want 401", code)
	}

	list := "id,phone\n1,+14155550201\n2,(415) 555-0202\n3,+14155550203\n4,+14155550204\n5,not a number\n"
	got, rep := scrub(t, p, list, "--channel", "sms")
	if want := "id,phone\n3,+14155550203\n4,+14155550204\n"; got != want {
		t.Fatalf("scrubbed:\n%s\nwant:\n%s", got, want)
	}
	for _, w := range []string{"2,+14155550201,+14155550201,opted_out,", "out-201", "3,(415) 555-0202,+14155550202,opted_out,",
		"6,not a number,,invalid_number"} {
		if !strings.Contains(rep, w) {
			t.Errorf("report lacks %q:\n%s", w, rep)
		}
	}
}

// TestConsentScopesEndToEnd: a voice-only opt-out leaves texts eligible before the revoke-all date
// (DNCSYNC_REVOKE_ALL=off) and blocks them after (on), for opt-outs received after; the one
// received before keeps its reach; a START restores texts only.
func TestConsentScopesEndToEnd(t *testing.T) {
	_, env := startSim(t, 6000)
	data := t.TempDir()
	env = append(env, "DNCSYNC_DATA_DIR="+data, "DNCSYNC_ADMIN_TOKEN="+adminToken, "DNCSYNC_READ_TOKEN="+readToken,
		"TWILIO_AUTH_TOKEN=tw-secret", "DNCSYNC_PUBLIC_URL=https://dncsync.example.com", "DNCSYNC_SMS_START_REMOVES=true")
	before := startServe(t, append(env, "DNCSYNC_REVOKE_ALL=off")...)
	postOK(t, before, `{"phoneNumber":"+14155550301","consentChannel":"voice","eventId":"voice-301"}`)
	if e := eligible(t, before, "+14155550301", "voice"); e.Event == nil || e.Event.Scope.Channel != "voice" {
		t.Skip("the store does not keep an event's consentChannel, purpose and policy yet: needs the item/event " +
			"encoding work in internal/queue/boltq and redisq (the event as one value, its audit record queue.Received)")
	}
	if e := eligible(t, before, "+14155550301", "sms"); !e.Eligible || e.Reason != "not_covered" {
		t.Fatalf("sms after a voice-only opt-out, before revoke-all: %+v", e)
	}
	if e := eligible(t, before, "+14155550301", "voice"); e.Eligible || e.Reason != "opted_out" || e.eventID() != "voice-301" ||
		e.Event.Policy != "scoped" {
		t.Fatalf("voice after a voice-only opt-out: %+v", e)
	}
	// A voice opt-out and an SMS STOP, then START: texts come back, calls do not.
	postOK(t, before, `{"phoneNumber":"+14155550302","consentChannel":"voice","eventId":"voice-302"}`)
	twilioReply(t, before, "+14155550302", "STOP")
	// Receipt times (the binary's clock, in ms, which a test cannot move) decide: START comes after the STOP.
	time.Sleep(2 * time.Millisecond)
	twilioReply(t, before, "+14155550302", "START")
	if e := eligible(t, before, "+14155550302", "sms"); !e.Eligible || e.Reason != "consent" || e.Event.Said != "START" {
		t.Fatalf("sms after STOP then START: %+v", e)
	}
	if e := eligible(t, before, "+14155550302", "voice"); e.Eligible || e.eventID() != "voice-302" {
		t.Fatalf("voice after START: %+v; the START must not lift the voice opt-out", e)
	}
	before.kill()

	after := startServe(t, append(env, "DNCSYNC_REVOKE_ALL=on")...)
	postOK(t, after, `{"phoneNumber":"+14155550303","consentChannel":"voice","eventId":"voice-303"}`)
	if e := eligible(t, after, "+14155550303", "sms"); e.Eligible || e.Reason != "revoke_all" || e.eventID() != "voice-303" ||
		e.Event.Policy != "revoke_all" {
		t.Fatalf("sms after a voice-only opt-out under revoke-all: %+v", e)
	}
	if e := eligible(t, after, "+14155550301", "sms"); !e.Eligible {
		t.Fatalf("an opt-out received before revoke-all keeps the reach it had: %+v", e)
	}
	list := "+14155550301\n+14155550302\n+14155550303\n+14155550304\n"
	got, _ := scrub(t, after, list, "--channel", "sms")
	if want := "+14155550301\n+14155550302\n+14155550304\n"; got != want {
		t.Fatalf("scrubbed for sms:\n%s\nwant:\n%s", got, want)
	}
	got, _ = scrub(t, after, list, "--channel", "voice", "--flag")
	if want := "+14155550301,opted_out\n+14155550302,opted_out\n+14155550303,opted_out\n+14155550304,\n"; got != want {
		t.Fatalf("flagged for voice:\n%s\nwant:\n%s", got, want)
	}
}
