package adminapi

import (
	"bytes"
	"math/rand/v2"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/consent"
	"github.com/dncsync/dncsync/internal/ops"
	"github.com/dncsync/dncsync/internal/queue"
)

// texts are strings the encoder must write exactly as encoding/json and printable.JSON do: plain,
// empty, HTML, quotes, controls, DEL and C1, bidirectional marks, separators, not UTF-8, non-ASCII.
var texts = []string{"", "+14155552671", "opted_out", "a<b>&c", `say "stop"\now`, "tab\there\nline",
	"\x7f\u0085\u009b", "\u202etxet", "\u2028\u2029", "\xff\xfe bad", "café ☎ 電話", "STOP\u200e", "\x00"}

func pick(r *rand.Rand) string { return texts[r.IntN(len(texts))] }

func randTime(r *rand.Rand, full bool) time.Time {
	if !full && r.IntN(3) == 0 {
		return time.Time{}
	}
	zones := []*time.Location{time.UTC, time.FixedZone("x", -5*3600), time.FixedZone("y", 5*3600+1800)}
	t := time.Unix(r.Int64N(4e9), 0).In(zones[r.IntN(len(zones))])
	switch r.IntN(3) {
	case 1:
		t = t.Add(time.Duration(r.IntN(1000)) * time.Millisecond)
	case 2:
		t = t.Add(time.Duration(r.IntN(1e9)))
	}
	return t
}

// randEligibility is a random answer; full fills every field (the check that none is missed).
func randEligibility(r *rand.Rand, full bool) ops.Eligibility {
	str := func() string {
		if full {
			return texts[1+r.IntN(len(texts)-1)]
		}
		return pick(r)
	}
	scope := func() consent.Scope {
		return consent.Scope{Channel: consent.Channel(str()), Purpose: str(), Brand: str()}
	}
	e := ops.Eligibility{Query: str(), Number: str(), Scope: scope(), At: randTime(r, full), Error: str()}
	e.Eligible, e.Reason, e.Since = full || r.IntN(2) == 0, str(), randTime(r, full)
	if full || r.IntN(2) == 0 {
		e.Event = &consent.Event{Action: queue.Action(str()), Scope: scope(), Policy: consent.Decided(str()),
			OccurredAt: randTime(r, full), ReceivedAt: randTime(r, full), ExpiresAt: randTime(r, full),
			EventID: str(), Source: str(), Said: str()}
	}
	switch n := r.IntN(3); {
	case full:
		n = 2
		fallthrough
	case n > 0:
		for range n {
			e.Destinations = append(e.Destinations, ops.Confirmation{Destination: str(), Confirms: full || r.IntN(2) == 0,
				DestState: queue.DestState{State: queue.State(str()), ConfirmedAction: queue.Action(str()),
					ConfirmedOccur: randTime(r, full), ConfirmedAt: randTime(r, full), ConfirmedExpires: randTime(r, full),
					LastError: str()}})
		}
	case r.IntN(2) == 0:
		e.Destinations = []ops.Confirmation{}
	}
	return e
}

// zeroField names a field of v (recursively) left at its zero value, or "".
func zeroField(v reflect.Value, path string) string {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return path
		}
		return zeroField(v.Elem(), path)
	case reflect.Slice:
		if v.Len() == 0 {
			return path
		}
		return zeroField(v.Index(0), path+"[0]")
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			if v.Interface().(time.Time).IsZero() {
				return path
			}
			return ""
		}
		for i := range v.NumField() {
			if z := zeroField(v.Field(i), path+"."+v.Type().Field(i).Name); z != "" {
				return z
			}
		}
		return ""
	}
	if v.IsZero() {
		return path
	}
	return ""
}

func TestEligibilityJSONSame(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	full := randEligibility(r, true)
	if z := zeroField(reflect.ValueOf(full), "Eligibility"); z != "" {
		t.Fatalf("randEligibility(full) leaves %s zero: fill it, and write it in appendEligibility", z)
	}
	for round := range 300 {
		res := []ops.Eligibility{full}
		for range r.IntN(5) {
			res = append(res, randEligibility(r, false))
		}
		want, got := httptest.NewRecorder(), httptest.NewRecorder()
		writeJSONAs(want, 200, EligibilityAnswer{Results: res}, "")
		writeEligibilityAnswer(got, res)
		if want.Code != 200 || got.Code != 200 || got.Header().Get("Content-Type") != want.Header().Get("Content-Type") {
			t.Fatalf("round %d: status %d/%d, content type %q/%q", round, got.Code, want.Code,
				got.Header().Get("Content-Type"), want.Header().Get("Content-Type"))
		}
		if !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
			t.Fatalf("round %d: the hand-written JSON differs from encoding/json's\n got %s\nwant %s", round, got.Body, want.Body)
		}
	}
}

// A large answer crosses the writer's flushes whole.
func TestEligibilityJSONLarge(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	res := make([]ops.Eligibility, 3000)
	for i := range res {
		res[i] = randEligibility(r, false)
	}
	want, got := httptest.NewRecorder(), httptest.NewRecorder()
	writeJSONAs(want, 200, EligibilityAnswer{Results: res}, "")
	writeEligibilityAnswer(got, res)
	if want.Body.Len() < 200<<10 {
		t.Fatalf("precondition: the answer is %d bytes, want more than the writer's buffer", want.Body.Len())
	}
	if !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
		t.Fatal("the hand-written JSON of 3,000 answers differs from encoding/json's")
	}
}

func BenchmarkEligibilityJSON(b *testing.B) {
	// A dialer's batch: half opted out (an event, one destination), half never seen.
	at := time.Date(2026, 12, 5, 13, 0, 0, 123456789, time.UTC)
	res := make([]ops.Eligibility, ops.MaxEligibility)
	for i := range res {
		e := ops.Eligibility{Query: "+14155552671", Number: "+14155552671", Scope: consent.Scope{Channel: consent.Voice},
			At: at, Destinations: []ops.Confirmation{}}
		e.Eligible, e.Reason = true, consent.ReasonNoRecord
		if i%2 == 0 {
			e.Eligible, e.Reason, e.Since = false, consent.ReasonOptedOut, at.Add(-time.Hour)
			e.Event = &consent.Event{Action: queue.Add, Scope: consent.Scope{Channel: consent.All}, Policy: consent.Scoped,
				OccurredAt: e.Since, ReceivedAt: e.Since, Source: "webhook"}
			e.Destinations = []ops.Confirmation{{Destination: "cxone", DestState: queue.DestState{State: queue.StateSynced,
				ConfirmedAction: queue.Add, ConfirmedOccur: e.Since, ConfirmedAt: e.Since}, Confirms: true}}
		}
		res[i] = e
	}
	b.Run("hand", func(b *testing.B) {
		for b.Loop() {
			writeEligibilityAnswer(httptest.NewRecorder(), res)
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			writeJSONAs(httptest.NewRecorder(), 200, EligibilityAnswer{Results: res}, "")
		}
	})
}
