package consent

import (
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

func optOut(min int, ch Channel, purpose, brand string, p Decided) Event {
	return Event{Action: queue.Add, Scope: Scope{Channel: ch, Purpose: purpose, Brand: brand}, Policy: p,
		OccurredAt: at(min), ReceivedAt: at(min), EventID: "out-" + string(ch) + purpose + brand}
}

func consentOf(min int, ch Channel, purpose, brand string) Event {
	return Event{Action: queue.Remove, Scope: Scope{Channel: ch, Purpose: purpose, Brand: brand}, Policy: Scoped,
		OccurredAt: at(min), ReceivedAt: at(min), EventID: "in-" + string(ch) + purpose + brand}
}

func TestDecide(t *testing.T) {
	q := func(ch Channel, purpose, brand string) Query {
		return Query{Scope: Scope{Channel: ch, Purpose: purpose, Brand: brand}, At: at(100)}
	}
	expiring := optOut(1, Voice, "", "", Scoped)
	expiring.ExpiresAt = at(50)
	for _, tc := range []struct {
		name     string
		events   []Event
		q        Query
		eligible bool
		reason   string
		eventID  string // "" when no event decides
	}{
		{"nothing recorded", nil, q(Voice, "", ""), true, ReasonNoRecord, ""},
		{"an opt-out without scope blocks every channel", []Event{optOut(1, All, "", "", Scoped)}, q(Email, "", ""), false, ReasonOptedOut, "out-all"},
		{"voice opt-out, scoped: sms eligible", []Event{optOut(1, Voice, "", "", Scoped)}, q(SMS, "", ""), true, ReasonNotCovered, ""},
		{"voice opt-out, scoped: voice blocked", []Event{optOut(1, Voice, "", "", Scoped)}, q(Voice, "", ""), false, ReasonOptedOut, "out-voice"},
		{"voice opt-out under revoke-all blocks sms", []Event{optOut(1, Voice, "", "", RevokeAll)}, q(SMS, "", ""), false, ReasonRevokeAll, "out-voice"},
		{"revoke-all does not reach email", []Event{optOut(1, Voice, "", "", RevokeAll)}, q(Email, "", ""), true, ReasonNotCovered, ""},
		{"revoke-all reaches every purpose and brand", []Event{optOut(1, SMS, "marketing", "acme", RevokeAll)}, q(Voice, "collections", "other"), false, ReasonRevokeAll, "out-smsmarketingacme"},
		{"a record without policy is read as revoke-all", []Event{{Action: queue.Add, Scope: Scope{Channel: Email}, Policy: ParseDecided(""), OccurredAt: at(1), EventID: "x"}}, q(Voice, "", ""), false, ReasonRevokeAll, "x"},
		{"START restores sms only", []Event{optOut(1, SMS, "", "", Scoped), optOut(2, Voice, "", "", Scoped), consentOf(3, SMS, "", "")}, q(SMS, "", ""), true, ReasonConsent, "in-sms"},
		{"START never lifts voice", []Event{optOut(1, SMS, "", "", Scoped), optOut(2, Voice, "", "", Scoped), consentOf(3, SMS, "", "")}, q(Voice, "", ""), false, ReasonOptedOut, "out-voice"},
		{"START never lifts an opt-out of every channel", []Event{optOut(1, All, "", "", Scoped), consentOf(3, SMS, "", "")}, q(SMS, "", ""), false, ReasonOptedOut, "out-all"},
		{"START never lifts revoke-all", []Event{optOut(1, Voice, "", "", RevokeAll), consentOf(3, SMS, "", "")}, q(SMS, "", ""), false, ReasonRevokeAll, "out-voice"},
		{"START never lifts an sms opt-out received under revoke-all", []Event{optOut(1, SMS, "", "", RevokeAll), consentOf(3, SMS, "", "")}, q(SMS, "", ""), false, ReasonOptedOut, "out-sms"},
		{"consent to everything lifts revoke-all", []Event{optOut(1, SMS, "", "", RevokeAll), consentOf(3, All, "", "")}, q(Voice, "", ""), true, ReasonConsent, "in-all"},
		{"a consent at the same moment loses", []Event{optOut(1, SMS, "", "", Scoped), consentOf(1, All, "", "")}, q(SMS, "", ""), false, ReasonOptedOut, "out-sms"},
		{"a consent before the opt-out does not lift it", []Event{consentOf(1, All, "", ""), optOut(2, SMS, "", "", Scoped)}, q(SMS, "", ""), false, ReasonOptedOut, "out-sms"},
		{"marketing opt-out leaves collections eligible", []Event{optOut(1, Voice, "marketing", "", Scoped)}, q(Voice, "collections", ""), true, ReasonNotCovered, ""},
		{"marketing opt-out blocks a query of no purpose", []Event{optOut(1, Voice, "marketing", "", Scoped)}, q(Voice, "", ""), false, ReasonOptedOut, "out-voicemarketing"},
		{"purpose compared in any case", []Event{optOut(1, Voice, "Marketing", "", Scoped)}, q(Voice, "marketing", ""), false, ReasonOptedOut, "out-voiceMarketing"},
		{"brand opt-out leaves another brand eligible", []Event{optOut(1, SMS, "", "acme", Scoped)}, q(SMS, "", "globex"), true, ReasonNotCovered, ""},
		{"a brand's consent does not lift an opt-out of every brand", []Event{optOut(1, SMS, "", "", Scoped), consentOf(2, SMS, "", "acme")}, q(SMS, "", "acme"), false, ReasonOptedOut, "out-sms"},
		{"a purpose's consent lifts that purpose's opt-out", []Event{optOut(1, Voice, "marketing", "", Scoped), consentOf(2, Voice, "marketing", "")}, q(Voice, "marketing", ""), true, ReasonConsent, "in-voicemarketing"},
		{"an expired opt-out no longer blocks", []Event{expiring}, q(Voice, "", ""), true, ReasonExpired, "out-voice"},
		{"a request after the query's time does not count", []Event{optOut(200, Voice, "", "", Scoped)}, q(Voice, "", ""), true, ReasonNoRecord, ""},
		{"the earliest standing opt-out decides", []Event{optOut(5, Voice, "", "", Scoped), optOut(2, All, "", "", Scoped)}, q(Voice, "", ""), false, ReasonOptedOut, "out-all"},
		{"all channels: blocked if one is", []Event{optOut(1, Email, "", "", Scoped)}, q(All, "", ""), false, ReasonOptedOut, "out-email"},
		{"all channels: eligible if none is blocked", []Event{optOut(1, Email, "", "", Scoped), consentOf(2, Email, "", "")}, q(All, "", ""), true, ReasonConsent, "in-email"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(tc.events, tc.q)
			if d.Eligible != tc.eligible || d.Reason != tc.reason {
				t.Fatalf("Decide = eligible %v, %s; want %v, %s", d.Eligible, d.Reason, tc.eligible, tc.reason)
			}
			switch {
			case tc.eventID == "" && d.Event != nil:
				t.Fatalf("decided by %+v; want no event", d.Event)
			case tc.eventID != "" && (d.Event == nil || d.Event.EventID != tc.eventID):
				t.Fatalf("decided by %+v; want %s", d.Event, tc.eventID)
			case d.Event != nil && d.Since.IsZero():
				t.Fatal("a decision by an event has no since")
			}
		})
	}
}

func TestDecideSince(t *testing.T) {
	d := Decide([]Event{optOut(7, Voice, "", "", Scoped)}, Query{Scope: Scope{Channel: Voice}, At: at(9)})
	if d.Eligible || !d.Since.Equal(at(7)) {
		t.Fatalf("since = %v, eligible %v; want %v, false", d.Since, d.Eligible, at(7))
	}
}

func TestFromRecord(t *testing.T) {
	rec := queue.AuditRecord{Kind: queue.AuditReceived, Action: queue.Add, Scope: "acme", ConsentChannel: "sms",
		Purpose: "marketing", Policy: "scoped", OccurredAt: at(1), ReceivedAt: at(2), EventID: "e1", Reason: "STOP"}
	ev, ok := FromRecord(rec)
	want := Scope{Channel: SMS, Purpose: "marketing", Brand: "acme"}
	if !ok || ev.Scope != want || ev.Policy != Scoped || ev.Said != "STOP" || ev.EventID != "e1" {
		t.Fatalf("FromRecord = %+v, %v", ev, ok)
	}
	old, ok := FromRecord(queue.AuditRecord{Kind: queue.AuditStale, Action: queue.Add, OccurredAt: at(1)})
	if !ok || old.Scope != Everything || old.Policy != RevokeAll {
		t.Fatalf("a record of before scopes = %+v, %v; want every channel under revoke-all", old, ok)
	}
	for _, k := range []queue.AuditKind{queue.AuditConfirmed, queue.AuditRejected, queue.AuditIgnored, queue.AuditFailed} {
		if _, ok := FromRecord(queue.AuditRecord{Kind: k, Action: queue.Add}); ok {
			t.Errorf("a %s record read as a request", k)
		}
	}
}

func TestPolicy(t *testing.T) {
	for _, tc := range []struct {
		in       string
		at       time.Time
		want     Decided
		wantText string
	}{
		{"on", at(0), RevokeAll, "on"},
		{"OFF", at(0), Scoped, "off"},
		{DefaultPolicy, time.Date(2027, 1, 30, 23, 59, 59, 0, time.UTC), Scoped, "2027-01-31"},
		{DefaultPolicy, time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC), RevokeAll, "2027-01-31"},
		{" 2026-01-01 ", at(0), RevokeAll, "2026-01-01"},
	} {
		p, err := ParsePolicy(tc.in)
		if err != nil {
			t.Fatalf("ParsePolicy(%q): %v", tc.in, err)
		}
		if got := p.At(tc.at); got != tc.want || p.String() != tc.wantText {
			t.Errorf("ParsePolicy(%q).At(%v) = %s (%s); want %s (%s)", tc.in, tc.at, got, p, tc.want, tc.wantText)
		}
	}
	for _, bad := range []string{"", "yes", "2027-13-01", "31/01/2027"} {
		if _, err := ParsePolicy(bad); err == nil {
			t.Errorf("ParsePolicy(%q) accepted", bad)
		}
	}
	if !(Policy{}).IsZero() || MustPolicy("off").IsZero() {
		t.Error("IsZero wrong")
	}
}

func TestParseScope(t *testing.T) {
	s, err := ParseScope(" SMS ", " marketing ", "acme")
	if err != nil || s != (Scope{Channel: SMS, Purpose: "marketing", Brand: "acme"}) || s.String() != "sms/marketing/acme" {
		t.Fatalf("ParseScope = %+v (%s), %v", s, s, err)
	}
	if s, err := ParseScope("", "", ""); err != nil || s != Everything || s.String() != "all" {
		t.Fatalf("an empty scope = %+v, %v; want all", s, err)
	}
	if _, err := ParseScope("fax", "", ""); err == nil {
		t.Fatal("fax accepted as a channel")
	}
}
