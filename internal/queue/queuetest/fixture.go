package queuetest

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// A layout fixture is a store written by one release and kept in a store's testdata, with what
// that release read back from it (Observe, as JSON). A later release opens a copy, upgrading it,
// and must read back the same: every item, event, audit record, dead letter and rejection intact.

// FixtureDestinations are the destinations a fixture store is opened with: the primary's keys and
// a second destination's are both in it.
var FixtureDestinations = []string{"cxone", "genesys"}

// FixtureStart is the store clock's time when WriteFixture begins.
var FixtureStart = time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.UTC)

// fixtureNumbers are the numbers WriteFixture writes, and Observe looks up.
var fixtureNumbers = []string{"+15550000001", "+15550000002", "+15550000003", "+15550000004",
	"+15550000005", "+15550000006", "rejected:12", "rejected:no number"}

// WriteFixture writes one of everything a store keeps through s (opened with FixtureDestinations
// and a clock that reads *now): entries ready, leased and dead, for both destinations, merged
// repeats, an event that lost a lease, confirmations, failures, stale and duplicate events,
// rejections and ignored words.
func WriteFixture(t *testing.T, s queue.Store, now *time.Time) {
	t.Helper()
	ctx := context.Background()
	*now = FixtureStart
	at := func(d time.Duration) time.Time { return FixtureStart.Add(d) }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	second, err := s.Dest(FixtureDestinations[1])
	must(err)
	evs := []queue.Event{
		{ID: "ev-1", Number: "+15550000001", Raw: "(555) 000-0001", Action: queue.Add, Source: "web", Channel: "form",
			Reason: "asked", Scope: "brand", OccurredAt: at(-time.Hour), ReceivedAt: at(0),
			ExpiresAt: at(24 * 365 * time.Hour), Repeats: 2},
		{Number: "+15550000002", Raw: "5550000002", Action: queue.Add, Source: "sms", Channel: "text",
			OccurredAt: at(-time.Minute), ReceivedAt: at(time.Millisecond)},
		{ID: "ev-3", Number: "+15550000003", Raw: "+1 555 000 0003", Action: queue.Remove, Source: "crm",
			Reason: "consent", OccurredAt: at(-2 * time.Minute), ReceivedAt: at(2 * time.Millisecond)},
		{Number: "+15550000004", Raw: "555-000-0004", Action: queue.Add, Source: "reconcile",
			OccurredAt: at(-3 * time.Minute), ReceivedAt: at(3 * time.Millisecond), Only: "genesys", Resync: true},
		{Number: "+15550000005", Raw: "15550000005", Action: queue.Add, Source: "import", Scope: "all",
			OccurredAt: at(-4 * time.Minute), ReceivedAt: at(4 * time.Millisecond), Repeats: 7},
	}
	_, err = s.Enqueue(ctx, evs)
	must(err)
	*now = at(time.Second)
	// A repeat that wins (newer, a new expiry and source) and a duplicate id.
	rep := evs[0]
	rep.ID, rep.Source, rep.OccurredAt, rep.ReceivedAt = "ev-1b", "api", at(-time.Second), at(time.Second)
	rep.ExpiresAt, rep.Repeats = at(48*365*time.Hour), 0
	_, err = s.Enqueue(ctx, []queue.Event{rep, evs[0]})
	must(err)

	*now = at(time.Minute)
	items, err := s.Claim(ctx, 10, time.Minute)
	must(err)
	for _, it := range items {
		switch it.Number {
		case "+15550000001":
			must(s.Ack(ctx, []queue.Item{it}))
		case "+15550000002":
			must(s.Retry(ctx, it, time.Hour, "503 from the destination"))
		case "+15550000003":
			must(s.DeadLetter(ctx, it, "400 number refused"))
		case "+15550000005":
			must(s.Snooze(ctx, it, time.Second, "429 slow down"))
		}
	}
	gitems, err := second.Claim(ctx, 10, time.Minute)
	must(err)
	for _, it := range gitems {
		if it.Number == "+15550000004" {
			must(second.Ack(ctx, []queue.Item{it}))
		}
	}
	// +15550000005's lease runs out: a lost lease.
	*now = at(2 * time.Minute)
	if _, err := s.Claim(ctx, 10, time.Second); err != nil {
		t.Fatal(err)
	}
	*now = at(3 * time.Minute)
	_, err = s.Recover(ctx, 5)
	must(err)
	// A stale event: older than what the destination confirmed.
	stale := evs[0]
	stale.ID, stale.OccurredAt, stale.ReceivedAt, stale.Repeats = "", at(-2*time.Hour), at(3*time.Minute), 0
	_, err = s.Enqueue(ctx, []queue.Event{stale})
	must(err)
	*now = at(4 * time.Minute)
	must(s.Reject(ctx,
		queue.Rejection{Raw: "12ab", Body: `{"phone":"12ab"}`, Reason: "too_short", Region: "US", Source: "web",
			Channel: "form", EventID: "r-1", ReceivedAt: at(4 * time.Minute)},
		queue.Rejection{Raw: "no number", Body: `{"phone":"no number"}`, Reason: "no_digits", Source: "web",
			ReceivedAt: at(4 * time.Minute)},
		queue.Rejection{Number: "+15550000002", Raw: "5550000002", Body: `{"phone":"5550000002","expires":"x"}`,
			Reason: "bad_expiry", Source: "web", ReceivedAt: at(4 * time.Minute)},
		queue.Rejection{Kind: queue.AuditIgnored, Number: "+15550000006", Raw: "+15550000006", Said: "hello",
			Reason: "sms_no_keyword", Source: "sms", Channel: "text", ReceivedAt: at(4 * time.Minute)},
	))
	*now = at(5 * time.Minute)
}

// Observation is what a store reads back of a fixture, through its methods only.
type Observation struct {
	Stats          map[string]queue.Stats
	Ready          map[string][]queue.Item // claimed at the end, lease tokens left out
	Dead           map[string][]queue.DeadLetter
	LastConfirmed  map[string]time.Time
	Export         []queue.AuditRecord
	Lookups        map[string]queue.History
	States         []queue.NumberState
	Rejections     []queue.Rejection
	RejectionsNow  []queue.Rejection
	RejectionStats queue.RejectionStats
	Destinations   []string
}

// Observe reads everything s holds of a fixture as JSON; the store's clock must read *now, the time
// WriteFixture left it at. It claims every entry at the end, a day later: observe a copy.
func Observe(t *testing.T, s queue.Store, now *time.Time) []byte {
	t.Helper()
	ctx := context.Background()
	o := Observation{Stats: map[string]queue.Stats{}, Ready: map[string][]queue.Item{},
		Dead: map[string][]queue.DeadLetter{}, LastConfirmed: map[string]time.Time{}, Lookups: map[string]queue.History{}}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var err error
	must(s.Export(ctx, time.Time{}, time.Time{}, func(r queue.AuditRecord) error {
		o.Export = append(o.Export, r)
		return nil
	}))
	for _, n := range fixtureNumbers {
		h, found, err := s.Lookup(ctx, n, queue.Page{})
		must(err)
		if found {
			o.Lookups[n] = h
		}
	}
	must(s.States(ctx, func(st queue.NumberState) error {
		o.States = append(o.States, st)
		return nil
	}))
	slices.SortFunc(o.States, func(a, b queue.NumberState) int {
		return compareStrings(a.Number, b.Number)
	})
	o.Rejections, err = s.Rejections(ctx, 100)
	must(err)
	o.RejectionsNow, err = s.RejectionsSince(ctx, time.Time{}, 100)
	must(err)
	o.RejectionStats, err = s.RejectionStats(ctx)
	must(err)
	o.RejectionStats.Fill = 0 // the disk's or the server's, not the fixture's
	o.Destinations = s.Destinations()
	for _, name := range o.Destinations {
		d, err := s.Dest(name)
		must(err)
		o.Stats[name], err = d.Stats(ctx)
		must(err)
		o.Dead[name], err = d.DeadLetters(ctx, 100)
		must(err)
		o.LastConfirmed[name], err = d.LastConfirmed(ctx)
		must(err)
	}
	// Claim last, far enough ahead that every ready entry is due and every lease ran out.
	*now = now.Add(24 * time.Hour)
	for _, name := range o.Destinations {
		d, _ := s.Dest(name)
		_, err := d.Recover(ctx, 100)
		must(err)
		items, err := d.Claim(ctx, 100, 10*365*24*time.Hour)
		must(err)
		for i := range items {
			items[i].Lease = ""
		}
		slices.SortFunc(items, func(a, b queue.Item) int { return compareStrings(a.Number, b.Number) })
		o.Ready[name] = items
	}
	utc(reflect.ValueOf(&o).Elem())
	b, err := json.MarshalIndent(o, "", "  ")
	must(err)
	return b
}

// SameObservation compares an observation a release wrote (want) with one of now (got), and
// returns the lines that differ ("" when none). want is read into today's Observation first, so
// that a field added since (to Item, say) is zero in both rather than a difference.
func SameObservation(want, got []byte) (string, error) {
	var o Observation
	if err := json.Unmarshal(want, &o); err != nil {
		return "", err
	}
	utc(reflect.ValueOf(&o).Elem())
	w, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		return "", err
	}
	if string(w) == string(got) {
		return "", nil
	}
	return DiffLines(w, got), nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

var timeType = reflect.TypeFor[time.Time]()

// utc sets every time in v to UTC, so that stores that read times in the local zone compare.
func utc(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == timeType {
			if v.CanSet() {
				v.Set(reflect.ValueOf(v.Interface().(time.Time).UTC()))
			}
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				utc(v.Field(i))
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			utc(v.Index(i))
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			utc(e)
			v.SetMapIndex(k, e)
		}
	case reflect.Pointer:
		if !v.IsNil() {
			utc(v.Elem())
		}
	}
}

// DiffLines shows the first lines where want and got differ.
func DiffLines(want, got []byte) string {
	lw, lg := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	var b strings.Builder
	for i, n := 0, 0; i < max(len(lw), len(lg)) && n < 20; i++ {
		var w, g string
		if i < len(lw) {
			w = lw[i]
		}
		if i < len(lg) {
			g = lg[i]
		}
		if w != g {
			n++
			fmt.Fprintf(&b, "line %d:\n  want %s\n  got  %s\n", i+1, w, g)
		}
	}
	return b.String()
}
