package intake_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/consent"
	"github.com/dncsync/dncsync/internal/intake"
	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/boltq"
)

// seen is the store as intake writes it, keeping a copy of each event it was handed: what intake
// decided about a scope, whether or not the store keeps every field yet.
type seen struct {
	*boltq.Store
	mu     sync.Mutex
	events []queue.Event
}

func (s *seen) Enqueue(ctx context.Context, evs []queue.Event) ([]queue.EnqueueStatus, error) {
	s.mu.Lock()
	s.events = append(s.events, evs...)
	s.mu.Unlock()
	return s.Store.Enqueue(ctx, evs)
}

func (s *seen) only(t *testing.T) queue.Event {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.events) != 1 {
		t.Fatalf("store was handed %d events, want 1: %+v", len(s.events), s.events)
	}
	return s.events[0]
}

func TestWebhookScope(t *testing.T) {
	t.Parallel()
	before, after := consent.MustPolicy("off"), consent.MustPolicy("on")
	for _, tc := range []struct {
		name                           string
		policy                         consent.Policy
		body                           string
		channel, purpose, brand, decid string
	}{
		{"no scope is every channel", before, `{"phoneNumber":"+14155552671"}`, "all", "", "", "scoped"},
		{"every field", before, `{"phoneNumber":"+14155552671","consentChannel":"Voice","purpose":" marketing ","brand":"acme"}`, "voice", "marketing", "acme", "scoped"},
		{"under data, scope as brand", after, `{"data":{"phoneNumber":"+14155552671","consentChannel":"sms","scope":"acme"}}`, "sms", "", "acme", "revoke_all"},
		{"brand and scope agreeing", before, `{"phoneNumber":"+14155552671","scope":"acme","brand":"acme"}`, "all", "", "acme", "scoped"},
		{"the default policy before its date", consent.Policy{}, `{"phoneNumber":"+14155552671","consentChannel":"email"}`, "email", "", "", "scoped"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := &seen{Store: openStore(t)}
			srv := serve(t, intake.New(s, intake.Config{Now: func() time.Time { return receivedAt }, RevokeAll: tc.policy}))
			post(t, srv.URL, tc.body, nil).want(t, http.StatusOK, `{"status":"accepted","phoneNumber":"+14155552671"}`)
			ev := s.only(t)
			if ev.ConsentChannel != tc.channel || ev.Purpose != tc.purpose || ev.Scope != tc.brand || ev.Policy != tc.decid {
				t.Fatalf("event scope %q/%q/%q policy %q; want %q/%q/%q %q", ev.ConsentChannel, ev.Purpose, ev.Scope, ev.Policy,
					tc.channel, tc.purpose, tc.brand, tc.decid)
			}
		})
	}
}

func TestWebhookScopeRefusals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ body, code string }{
		{`{"phoneNumber":"+14155552671","consentChannel":"fax"}`, "bad_consent_channel"},
		{`{"phoneNumber":"+14155552671","scope":"acme","brand":"globex"}`, "conflicting_fields"},
		{`{"phoneNumber":"+14155552671","purpose":"a","data":{"purpose":"b"}}`, "conflicting_fields"},
	} {
		s := &seen{Store: openStore(t)}
		srv := serve(t, intake.New(s, intake.Config{}))
		res := post(t, srv.URL, tc.body, nil)
		if res.status != http.StatusBadRequest || !strings.Contains(string(res.body), `"invalid"`) {
			t.Fatalf("%s: answer %d %s; want 400 invalid", tc.body, res.status, res.body)
		}
		rejs, err := s.Rejections(context.Background(), 10)
		if err != nil || len(rejs) != 1 || rejs[0].Reason != tc.code {
			t.Fatalf("%s: rejections %+v, %v; want one %s", tc.body, rejs, err, tc.code)
		}
	}
}

// An SMS STOP is about texts, or every channel once revoke-all is in force; a START restores texts.
func TestTwilioScope(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		policy, body, action, channel, decided string
		removes                                bool
	}{
		{"off", "STOP", "add", "sms", "scoped", false},
		{"on", "STOP", "add", "all", "revoke_all", false},
		{"on", "START", "remove", "sms", "revoke_all", true},
	} {
		s := &seen{Store: openStore(t)}
		h := intake.New(s, intake.Config{RevokeAll: consent.MustPolicy(tc.policy)})
		mux := http.NewServeMux()
		mux.Handle("/webhook/twilio", intake.NewTwilio(h, intake.TwilioConfig{AuthToken: twilioToken,
			PublicURL: twilioPublic + "/", StartRemoves: tc.removes}))
		srv := httptest.NewServer(mux)
		b := &twilioBundle{q: s.Store, srv: srv}
		b.signed(t, "+14155552671", tc.body)
		srv.Close()
		ev := s.only(t)
		if string(ev.Action) != tc.action || ev.ConsentChannel != tc.channel || ev.Policy != tc.decided || ev.Reason != tc.body {
			t.Fatalf("%s under %s: %s %q policy %q said %q; want %s %q %q", tc.body, tc.policy, ev.Action, ev.ConsentChannel,
				ev.Policy, ev.Reason, tc.action, tc.channel, tc.decided)
		}
	}
}

func TestImportScopeColumns(t *testing.T) {
	t.Parallel()
	in := "phone,consent_channel,purpose,brand\n+14155552671,voice,marketing,acme\n"
	ir, err := intake.NewImportReader(strings.NewReader(in), intake.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := ir.Next()
	if err != nil || r.ConsentChannel != "voice" || r.Purpose != "marketing" || r.Scope != "acme" {
		t.Fatalf("row %+v, %v; want voice/marketing/acme", r, err)
	}
	s := &seen{Store: openStore(t)}
	sink := intake.StoreSink{Store: s, RevokeAll: consent.MustPolicy("off")}
	if _, err := sink.Send(context.Background(), []intake.ImportRow{r}, []string{"import:x:2"}); err != nil {
		t.Fatal(err)
	}
	ev := s.only(t)
	if ev.ConsentChannel != "voice" || ev.Purpose != "marketing" || ev.Scope != "acme" || ev.Policy != "scoped" {
		t.Fatalf("imported event %+v", ev)
	}
}
