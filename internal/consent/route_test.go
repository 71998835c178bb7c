package consent

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/dncsync/dncsync/internal/queue"
)

func TestParseFilter(t *testing.T) {
	for in, want := range map[string]Scope{
		"":                   {Channel: All},
		"SMS":                {Channel: SMS},
		"voice/marketing":    {Channel: Voice, Purpose: "marketing"},
		"all/marketing/acme": {Channel: All, Purpose: "marketing", Brand: "acme"},
		"email//acme":        {Channel: Email, Brand: "acme"},
	} {
		got, err := ParseFilter(in)
		if err != nil || got != want {
			t.Errorf("ParseFilter(%q) = %+v, %v; want %+v", in, got, err, want)
		}
		if err == nil && in != "" && in != "SMS" && got.String() != in {
			t.Errorf("ParseFilter(%q).String() = %q: the filter reads as it is shown", in, got.String())
		}
	}
	for _, bad := range []string{"fax", "sms/a/b/c"} {
		if _, err := ParseFilter(bad); err == nil {
			t.Errorf("ParseFilter(%q) accepted", bad)
		}
	}
}

// The lanes of the tests: one per channel filter, and one of a purpose.
var testLanes = []Lane{{"voice", Scope{Channel: Voice}}, {"sms", Scope{Channel: SMS}}, {"email", Scope{Channel: Email}},
	{"all", Scope{Channel: All}}, {"mkt", Scope{Channel: SMS, Purpose: "marketing"}}}

// qev is e as the store receives it.
func qev(e Event, number string) queue.Event {
	return queue.Event{Number: number, Action: e.Action, OccurredAt: e.OccurredAt, ReceivedAt: e.ReceivedAt,
		ConsentChannel: string(e.Scope.Channel), Purpose: e.Scope.Purpose, Scope: e.Scope.Brand, Policy: string(e.Policy)}
}

func TestRoute(t *testing.T) {
	everyLane := []string(nil)
	for _, tc := range []struct {
		name   string
		trail  []Event // recorded before
		events []Event // the batch; the last one's lanes are checked
		want   []string
	}{
		{"sms opt-out: sms lists and every-channel ones", nil, []Event{optOut(1, SMS, "", "", Scoped)}, []string{"sms", "all", "mkt"}},
		{"voice opt-out, scoped: not the sms lists", nil, []Event{optOut(1, Voice, "", "", Scoped)}, []string{"voice", "all"}},
		{"voice opt-out under revoke-all: calls and texts, not email", nil, []Event{optOut(1, Voice, "", "", RevokeAll)}, []string{"voice", "sms", "all", "mkt"}},
		{"an opt-out of no policy is read as revoke-all", nil, []Event{optOut(1, Email, "", "", "")}, everyLane},
		{"informational sms opt-out: not the marketing list", nil, []Event{optOut(1, SMS, "informational", "", Scoped)}, []string{"sms", "all"}},
		{"all opt-out: every lane", nil, []Event{optOut(1, All, "", "", Scoped)}, everyLane},
		{"consent to everything: every lane", []Event{optOut(1, SMS, "", "", Scoped)}, []Event{consentOf(2, All, "", "")}, everyLane},
		{"START after an sms STOP: the sms lists and the all list", []Event{optOut(1, SMS, "", "", Scoped)},
			[]Event{consentOf(2, SMS, "", "")}, []string{"sms", "all", "mkt"}},
		{"START while a voice opt-out stands: not the all list", []Event{optOut(1, Voice, "", "", Scoped), optOut(1, SMS, "", "", Scoped)},
			[]Event{consentOf(2, SMS, "", "")}, []string{"sms", "mkt"}},
		{"START after a revoke-all opt-out: nowhere", []Event{optOut(1, Voice, "", "", RevokeAll)},
			[]Event{consentOf(2, SMS, "", "")}, []string{}},
		{"voice consent after an all opt-out, same batch: nowhere (the hazard)", nil,
			[]Event{optOut(1, All, "", "", Scoped), consentOf(2, Voice, "", "")}, []string{}},
		{"marketing consent after a marketing opt-out: every sms list", []Event{optOut(1, SMS, "marketing", "", Scoped)},
			[]Event{consentOf(2, SMS, "marketing", "")}, []string{"sms", "all", "mkt"}},
		{"marketing consent after an opt-out of every purpose: nowhere", []Event{optOut(1, SMS, "", "", Scoped)},
			[]Event{consentOf(2, SMS, "marketing", "")}, []string{}},
		{"a consent before the opt-out lifts nothing", []Event{optOut(5, SMS, "", "", Scoped)},
			[]Event{consentOf(2, SMS, "", "")}, []string{"sms", "all", "mkt"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reads := 0
			trail := func(_ context.Context, n string) ([]Event, error) {
				reads++
				if n != "+14155550100" {
					t.Fatalf("trail of %s", n)
				}
				return tc.trail, nil
			}
			evs := make([]queue.Event, len(tc.events))
			for i, e := range tc.events {
				evs[i] = qev(e, "+14155550100")
			}
			if err := Route(context.Background(), testLanes, evs, trail); err != nil {
				t.Fatal(err)
			}
			got := evs[len(evs)-1].Lanes
			if (got == nil) != (tc.want == nil) || !slices.Equal(got, tc.want) {
				t.Fatalf("lanes %#v, want %#v", got, tc.want)
			}
			if reads > 1 {
				t.Fatalf("the trail was read %d times", reads)
			}
		})
	}
}

func TestRouteEveryLaneAll(t *testing.T) {
	lanes := []Lane{{"cxone", Everything}, {"genesys", Everything}}
	evs := []queue.Event{qev(optOut(1, SMS, "", "", Scoped), "+14155550101"), qev(consentOf(2, All, "", ""), "+14155550101")}
	if err := Route(context.Background(), lanes, evs, func(context.Context, string) ([]Event, error) {
		t.Fatal("the trail was read for events that need none")
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	if evs[0].Lanes != nil || evs[1].Lanes != nil {
		t.Fatalf("lanes %v %v: with every lane of scope all, every event reaches every lane", evs[0].Lanes, evs[1].Lanes)
	}
	// A START is routed even so: a list of every channel keeps a number an opt-out from calls holds.
	start := []queue.Event{qev(consentOf(3, SMS, "", ""), "+14155550101")}
	if err := Route(context.Background(), lanes, start, func(context.Context, string) ([]Event, error) {
		return []Event{optOut(1, Voice, "", "", Scoped)}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if start[0].Lanes == nil || len(start[0].Lanes) != 0 {
		t.Fatalf("START while a voice opt-out stands: lanes %#v, want none", start[0].Lanes)
	}
	// Reconcile's events are its own.
	only := []queue.Event{qev(consentOf(3, SMS, "", ""), "+14155550101")}
	only[0].Only = "genesys"
	if err := Route(context.Background(), lanes, only, nil); err != nil || only[0].Lanes != nil {
		t.Fatalf("an event for one destination was routed: %v %v", only[0].Lanes, err)
	}
}

func TestRouteTrailError(t *testing.T) {
	boom := errors.New("store down")
	evs := []queue.Event{qev(consentOf(2, SMS, "", ""), "+14155550102")}
	err := Route(context.Background(), testLanes, evs, func(context.Context, string) ([]Event, error) { return nil, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("Route: %v, want the trail's error", err)
	}
}

// Reconcile's opt-out for one destination goes there only while the number's requests block some
// contact it makes: a voice-only opt-out held by the voice list is not copied to the sms list.
func TestRouteOnly(t *testing.T) {
	trail := func(context.Context, string) ([]Event, error) { return []Event{optOut(1, Voice, "", "", Scoped)}, nil }
	for dest, want := range map[string][]string{"sms": {}, "voice": nil, "all": nil} {
		ev := queue.Event{Number: "+14155550103", Action: queue.Add, Source: "reconcile", OccurredAt: at(1),
			ReceivedAt: at(60), Only: dest}
		evs := []queue.Event{ev}
		if err := Route(context.Background(), testLanes, evs, trail); err != nil {
			t.Fatal(err)
		}
		if got := evs[0].Lanes; (got == nil) != (want == nil) || len(got) != len(want) {
			t.Errorf("reconcile's opt-out for %s: lanes %#v, want %#v", dest, got, want)
		}
	}
}

// BenchmarkRouteOptOuts is what routing adds to an intake batch of 100 opt-outs with one
// destination scoped (no trail is read for opt-outs).
func BenchmarkRouteOptOuts(b *testing.B) {
	lanes := []Lane{{"cxone", Everything}, {"genesys", Scope{Channel: SMS}}}
	batch := make([]queue.Event, 100)
	for i := range batch {
		batch[i] = qev(optOut(i, Voice, "", "", Scoped), fmt.Sprintf("+1415555%04d", i))
	}
	evs := make([]queue.Event, len(batch))
	for b.Loop() {
		copy(evs, batch)
		if err := Route(context.Background(), lanes, evs, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRouteDefault is the same with every destination of scope all (the default).
func BenchmarkRouteDefault(b *testing.B) {
	lanes := []Lane{{"cxone", Everything}, {"genesys", Everything}}
	evs := make([]queue.Event, 100)
	for i := range evs {
		evs[i] = qev(optOut(i, Voice, "", "", Scoped), fmt.Sprintf("+1415555%04d", i))
	}
	for b.Loop() {
		if err := Route(context.Background(), lanes, evs, nil); err != nil {
			b.Fatal(err)
		}
	}
}
