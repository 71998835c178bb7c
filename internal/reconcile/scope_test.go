package reconcile_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/consent"
	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/boltq"
	"github.com/dncsync/dncsync/internal/reconcile"
)

// decide is the number's answer for channel c from its trail, as the eligibility API reads it.
func decide(t *testing.T, s *boltq.Store, number string, c consent.Channel) consent.Decision {
	t.Helper()
	hs, err := s.Histories(context.Background(), []string{number})
	if err != nil {
		t.Fatal(err)
	}
	var evs []consent.Event
	for _, r := range hs[number].Records {
		if e, ok := consent.FromRecord(r); ok {
			evs = append(evs, e)
		}
	}
	return consent.Decide(evs, consent.Query{Scope: consent.Scope{Channel: c}, At: time.Now()})
}

// A number a list lost is re-queued with the scope and policy of the opt-out it re-asserts: a
// voice-only opt-out for a brand stays voice-only (texts stay eligible), an email one received under
// revoke-all keeps revoke-all.
func TestReconcileKeepsScope(t *testing.T) {
	ctx := context.Background()
	s, err := boltq.Open(filepath.Join(t.TempDir(), "q.db"), boltq.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	const voice, revoked = "+14155550001", "+14155550002"
	if _, err := s.Enqueue(ctx, []queue.Event{
		{Number: voice, Raw: voice, Action: queue.Add, OccurredAt: at, ReceivedAt: at,
			ConsentChannel: "voice", Purpose: "marketing", Scope: "acme", Policy: string(consent.Scoped)},
		{Number: revoked, Raw: revoked, Action: queue.Add, OccurredAt: at, ReceivedAt: at,
			ConsentChannel: "email", Policy: string(consent.RevokeAll)},
	}); err != nil {
		t.Fatal(err)
	}
	items, err := s.Claim(ctx, 10, time.Minute)
	if err != nil || len(items) != 2 {
		t.Fatalf("claim: %d items, %v", len(items), err)
	}
	if err := s.Ack(ctx, items); err != nil {
		t.Fatal(err)
	}
	// Precondition: texts are eligible for the voice-only number, calls are not.
	if d := decide(t, s, voice, consent.SMS); !d.Eligible {
		t.Fatalf("before reconcile, sms: %+v", d)
	}
	rep, err := reconcile.Run(ctx, group{}, s, false, time.Now()) // the list lost both
	if err != nil || rep.Requeued != 2 {
		t.Fatalf("run: %+v %v", rep, err)
	}
	got, err := s.Claim(ctx, 10, time.Minute)
	if err != nil || len(got) != 2 {
		t.Fatalf("re-queued: %d items, %v", len(got), err)
	}
	want := map[string][4]string{voice: {"voice", "marketing", "acme", "scoped"}, revoked: {"email", "", "", "revoke_all"}}
	for _, it := range got {
		if g := [4]string{it.ConsentChannel, it.Purpose, it.Scope, it.Policy}; g != want[it.Number] || it.Source != "reconcile" {
			t.Errorf("%s re-queued with scope %q from %s, want %q", it.Number, g, it.Source, want[it.Number])
		}
	}
	if d := decide(t, s, voice, consent.SMS); !d.Eligible {
		t.Errorf("after reconcile, sms of a voice-only opt-out: %+v, want eligible", d)
	}
	if d := decide(t, s, voice, consent.Voice); d.Eligible || d.Event == nil || d.Event.Scope.Brand != "acme" {
		t.Errorf("after reconcile, voice: %+v, want the voice opt-out for acme", d)
	}
}
