package intake_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/intake"
	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/boltq"
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

type twilioBundle struct {
	q     *boltq.Store
	srv   *httptest.Server
	clock *clock // intake's and the store's: receipt times decide between a number's events
}

// clock is a time that moves only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func setupTwilio(t *testing.T, cfg intake.TwilioConfig) *twilioBundle {
	t.Helper()
	clk := &clock{t: time.Now()}
	q, err := boltq.Open(filepath.Join(t.TempDir(), "q.db"), boltq.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	h := intake.New(q, intake.Config{Now: clk.Now})
	cfg.AuthToken = twilioToken
	if cfg.PublicURL == "" {
		cfg.PublicURL = twilioPublic + "/"
	}
	mux := http.NewServeMux()
	mux.Handle("/webhook/twilio", intake.NewTwilio(h, cfg))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &twilioBundle{q: q, srv: srv, clock: clk}
}

func (b *twilioBundle) send(t *testing.T, form url.Values, sig string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.srv.URL+"/webhook/twilio", strings.NewReader(form.Encode()))
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

// signed sends a reply signed over the default public URL and checks the TwiML answer.
func (b *twilioBundle) signed(t *testing.T, from, body string, extra ...string) {
	t.Helper()
	f := url.Values{"From": {from}, "Body": {body}, "MessageSid": {"SM" + from + body}}
	for i := 0; i+1 < len(extra); i += 2 {
		f.Set(extra[i], extra[i+1])
	}
	resp := b.send(t, f, twilioSign(twilioPublic+"/webhook/twilio", f))
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/xml" {
		t.Fatalf("%q: %d %s", body, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func (b *twilioBundle) trail(t *testing.T, number string) (queue.NumberState, []queue.AuditRecord) {
	t.Helper()
	h, found, err := b.q.Lookup(context.Background(), number, queue.Page{})
	if err != nil || !found {
		t.Fatalf("lookup %s: found %v, %v", number, found, err)
	}
	return h.State, h.Records
}

// Any reply whose words include an opt-out keyword opts out, however it is written; other replies
// are kept as ignored with their text.
func TestTwilioKeywords(t *testing.T) {
	b := setupTwilio(t, intake.TwilioConfig{StopWords: []string{"ARRET", "alto"}})
	stops := []string{"STOP", "Stop.", "STOP!", "STOP please", "ＳＴＯＰ", "opt-out", "Opt Out", "OPTOUT", "stopall",
		"Please stop texting me", "end", "cancel.", "REVOKE", "unsubscribe me", "quit!!", "Arrêt", "ALTO por favor"}
	others := []string{"hello", "see you at the weekend", "stopping by later", "yes", "HELP", "  "}
	want := map[string]bool{}
	for i, text := range stops {
		n := fmt.Sprintf("+1415555%04d", i)
		b.signed(t, n, text)
		want[n] = true
	}
	for i, text := range others {
		n := fmt.Sprintf("+1415556%04d", i)
		b.signed(t, n, text)
		st, trail := b.trail(t, n)
		if st.State != queue.StateIgnored || len(trail) != 1 || trail[0].Kind != queue.AuditIgnored ||
			trail[0].Reason != text || trail[0].Channel != "sms" {
			t.Fatalf("%q: state %+v trail %+v, want the words kept as ignored", text, st, trail)
		}
	}
	items := claimAll(t, b.q)
	for n := range want {
		if it, ok := items[n]; !ok || it.Action != queue.Add || it.Source != "twilio" {
			t.Errorf("%s: %+v, want an opt-out from twilio", n, it)
		}
	}
	if len(items) != len(want) {
		t.Fatalf("store holds %v, want the %d opt-outs only", keys(items), len(want))
	}
}

// START, YES and UNSTOP are consent to texts, not calls: recorded, not a removal, unless configured.
func TestTwilioStart(t *testing.T) {
	const num = "+14155550001"
	for _, removes := range []bool{false, true} {
		b := setupTwilio(t, intake.TwilioConfig{StartRemoves: removes})
		b.signed(t, num, "STOP")
		claimed := claimAll(t, b.q)
		if err := b.q.Ack(context.Background(), []queue.Item{claimed[num]}); err != nil {
			t.Fatal(err)
		}
		b.clock.Add(time.Second) // receipt times decide: START comes after the STOP
		b.signed(t, num, "Yes")
		st, trail := b.trail(t, num)
		last := trail[len(trail)-1]
		if !removes {
			if st.State != queue.StateSynced || last.Kind != queue.AuditIgnored || last.Detail != "sms_start" {
				t.Fatalf("START without DNCSYNC_SMS_START_REMOVES: state %+v, last record %+v", st, last)
			}
			continue
		}
		if it := claimAll(t, b.q)[num]; it.Action != queue.Remove {
			t.Fatalf("START with DNCSYNC_SMS_START_REMOVES: queued %+v, want a removal", it)
		}
	}
}

// Twilio signs the URL it called; with an explicit port it may sign it with or without the port.
func TestTwilioSignatureForms(t *testing.T) {
	for _, tc := range []struct{ public, signedOver string }{
		{"https://dncsync.example.com:8443", "https://dncsync.example.com:8443"},
		{"https://dncsync.example.com:443", "https://dncsync.example.com"},
		{"https://dncsync.example.com", "https://dncsync.example.com:443"},
		{"http://dncsync.example.com/", "http://dncsync.example.com:80"},
	} {
		b := setupTwilio(t, intake.TwilioConfig{PublicURL: tc.public})
		f := url.Values{"From": {"+14155550001"}, "Body": {"STOP"}, "MessageSid": {"SM1"}}
		if resp := b.send(t, f, twilioSign(tc.signedOver+"/webhook/twilio", f)); resp.StatusCode != 200 {
			t.Errorf("public URL %s, signed over %s: %d", tc.public, tc.signedOver, resp.StatusCode)
		}
		if resp := b.send(t, f, twilioSign("https://evil.example.com/webhook/twilio", f)); resp.StatusCode != 403 {
			t.Errorf("signed over another host: %d, want 403", resp.StatusCode)
		}
	}
}

func TestTwilioRefusals(t *testing.T) {
	b := setupTwilio(t, intake.TwilioConfig{})
	if resp := b.send(t, url.Values{"From": {"+14155550007"}, "Body": {"STOP"}}, ""); resp.StatusCode != 403 {
		t.Fatalf("unsigned: %d, want 403", resp.StatusCode)
	}
	if resp := b.send(t, url.Values{"From": {"+14155550007"}, "Body": {"STOP"}}, "bm9wZQ=="); resp.StatusCode != 403 {
		t.Fatalf("badly signed: %d, want 403", resp.StatusCode)
	}
	b.signed(t, "+14155550006", "whatever", "OptOutType", "STOP") // Twilio's own reading counts
	b.signed(t, "12", "STOP")                                     // a sender that is no number: rejected
	if items := claimAll(t, b.q); len(items) != 1 || items["+14155550006"].Action != queue.Add {
		t.Fatalf("store holds %v", keys(items))
	}
	rejs := rejections(t, b.q)
	if len(rejs) != 1 || rejs[0].Raw != "12" || rejs[0].Reason != "too_short" {
		t.Fatalf("rejections %+v", rejs)
	}
}
