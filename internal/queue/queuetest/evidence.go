package queuetest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// RunEvidence runs the audit-trail part of the suite. The store the Opener returns must also be a
// queue.Evidence.
func RunEvidence(t *testing.T, o Opener) {
	tests := map[string]func(*testing.T, *testBundle, queue.Evidence){
		"TrailOfAnAcceptedEvent":      testTrailReceived,
		"ConfirmationRecorded":        testConfirmed,
		"OlderThanSyncedIsStale":      testStale,
		"ConfirmedActionInFlight":     testConfirmedInFlight,
		"FailuresAndDeadRecorded":     testFailuresRecorded,
		"RejectionsLookedUpByDigits":  testRejectionLookup,
		"FirstRequestNeverReset":      testFirstRequest,
		"ExportInOrderAndWindow":      testExport,
		"TrimKeepsNewestPerNumber":    testTrim,
		"StatesAndResync":             testStatesAndResync,
		"ConfirmedCoversMergedRepeat": testConfirmedCoversMergedRepeat,
		"RedriveDeadLetters":          testRedrive,
		"ResyncOnlyForWhatWasSeen":    testResyncOnlyForWhatWasSeen,
		"FailureNamesPushedAction":    testFailureNamesPushedAction,
		"ConfirmedExpiryAndExpired":   testConfirmedExpiry,
		"RefusedEventOfValidNumber":   testRefusedValidNumber,
		"IgnoredWordsKept":            testIgnored,
		"RejectionsBounded":           testRejectionsBounded,
		"HistoryPaged":                testHistoryPaged,
		"HistoriesMatchLookup":        testHistories,
		"RepeatsKeptWithTheEvent":     testRepeats,
	}
	for _, n := range slices.Sorted(maps.Keys(tests)) {
		t.Run(n, func(t *testing.T) {
			b := setup(t, o)
			ev, ok := b.q.(queue.Evidence)
			if !ok {
				t.Fatalf("%T does not implement queue.Evidence", b.q)
			}
			tests[n](t, b, ev)
		})
	}
}

func lookup(t *testing.T, b *testBundle, ev queue.Evidence, number string) (queue.NumberState, []queue.AuditRecord) {
	t.Helper()
	h, found, err := ev.Lookup(b.ctx, number, queue.Page{})
	if err != nil {
		t.Fatalf("Lookup: %v", err)
	}
	if !found {
		t.Fatalf("Lookup(%s): not found", number)
	}
	return h.State, h.Records
}

func kinds(trail []queue.AuditRecord) string {
	out := make([]string, len(trail))
	for i, r := range trail {
		out[i] = string(r.Kind)
	}
	return fmt.Sprint(out)
}

func (b *testBundle) ackAll(t *testing.T) []queue.Item {
	t.Helper()
	items := b.claim(t, 100)
	if err := b.q.Ack(b.ctx, items); err != nil {
		t.Fatal(err)
	}
	return items
}

func testTrailReceived(t *testing.T, b *testBundle, ev queue.Evidence) {
	if _, found, err := ev.Lookup(b.ctx, "+14155550001", queue.Page{}); err != nil || found {
		t.Fatalf("unknown number found=%v err=%v", found, err)
	}
	e := b.ev("+14155550001", 0)
	e.ID, e.ExpiresAt = "evt-1", b.base.Add(time.Hour)
	e.OccurredAt = b.base.Add(-time.Minute)
	b.enqueue(t, e)
	st, trail := lookup(t, b, ev, e.Number)
	if st.State != queue.StatePending || !st.FirstRequestedAt.Equal(e.ReceivedAt) || !st.LastEventAt.Equal(e.ReceivedAt) {
		t.Fatalf("state %+v", st)
	}
	if len(trail) != 1 {
		t.Fatalf("trail %s, want one received record", kinds(trail))
	}
	r := trail[0]
	if r.Kind != queue.AuditReceived || r.Number != e.Number || r.Raw != e.Raw || r.Action != queue.Add ||
		r.Source != e.Source || r.Channel != e.Channel || r.Reason != e.Reason || r.Scope != e.Scope ||
		r.EventID != "evt-1" || !r.OccurredAt.Equal(e.OccurredAt) || !r.ReceivedAt.Equal(e.ReceivedAt) ||
		!r.ExpiresAt.Equal(e.ExpiresAt) || r.At.IsZero() {
		t.Fatalf("received record does not keep the event: %+v", r)
	}
	dup := e
	b.enqueue(t, dup) // a seen event id changes nothing, the trail included
	if _, trail := lookup(t, b, ev, e.Number); len(trail) != 1 {
		t.Fatalf("a duplicate event id added to the trail: %s", kinds(trail))
	}
}

func testConfirmed(t *testing.T, b *testBundle, ev queue.Evidence) {
	const num = "+14155550001"
	b.enqueue(t, b.ev(num, 0))
	b.ackAll(t)
	st, trail := lookup(t, b, ev, num)
	if st.State != queue.StateSynced || st.ConfirmedAction != queue.Add || st.ConfirmedAt.IsZero() ||
		!st.ConfirmedOccur.Equal(b.base) {
		t.Fatalf("state after confirmation %+v", st)
	}
	if kinds(trail) != "[received confirmed]" {
		t.Fatalf("trail %s", kinds(trail))
	}
	rm := b.ev(num, 10)
	rm.Action = queue.Remove
	b.enqueue(t, rm)
	if st, _ := lookup(t, b, ev, num); st.State != queue.StatePending || st.ConfirmedAction != queue.Add {
		t.Fatalf("state with a remove queued %+v", st)
	}
	b.ackAll(t)
	st, trail = lookup(t, b, ev, num)
	if st.State != queue.StateRemoved || st.ConfirmedAction != queue.Remove {
		t.Fatalf("state after the remove %+v", st)
	}
	if kinds(trail) != "[received confirmed received confirmed]" || trail[3].Action != queue.Remove {
		t.Fatalf("trail %s", kinds(trail))
	}
}

func testStale(t *testing.T, b *testBundle, ev queue.Evidence) {
	const num = "+14155550001"
	add := b.ev(num, 100)
	b.enqueue(t, add)
	b.ackAll(t)
	old := b.ev(num, 200) // received later, occurred before the synced add
	old.Action, old.OccurredAt = queue.Remove, b.base.Add(50*time.Millisecond)
	if st := b.enqueue(t, old); st[0] != queue.Stale {
		t.Fatalf("status %q, want stale", st[0])
	}
	if items := b.claim(t, 10); len(items) != 0 {
		t.Fatalf("a stale event was queued: %v", numbers(items))
	}
	st, trail := lookup(t, b, ev, num)
	if st.State != queue.StateSynced || kinds(trail) != "[received confirmed stale]" || trail[2].Action != queue.Remove {
		t.Fatalf("state %+v trail %s", st, kinds(trail))
	}
	tie := b.ev(num, 300) // an add at the same instant as the synced add: nothing to do either
	tie.OccurredAt = add.OccurredAt
	if s := b.enqueue(t, tie); s[0] != queue.Stale {
		t.Fatalf("a repeat of the synced action at the same time: %q, want stale", s[0])
	}
	later := b.ev(num, 400)
	later.Action = queue.Remove
	if s := b.enqueue(t, later); s[0] != queue.Created {
		t.Fatalf("a later remove: %q, want created", s[0])
	}
}

func testConfirmedInFlight(t *testing.T, b *testBundle, ev queue.Evidence) {
	const num = "+14155550001"
	b.enqueue(t, b.ev(num, 0))
	items := b.claim(t, 1)
	rm := b.ev(num, 10)
	rm.Action = queue.Remove
	b.enqueue(t, rm) // arrives while the add is in flight
	if err := b.q.Ack(b.ctx, items); err != nil {
		t.Fatal(err)
	}
	st, trail := lookup(t, b, ev, num)
	// CXone confirmed the add it was sent; the remove is still to do.
	if st.State != queue.StatePending || st.ConfirmedAction != queue.Add {
		t.Fatalf("state %+v", st)
	}
	if last := trail[len(trail)-1]; last.Kind != queue.AuditConfirmed || last.Action != queue.Add {
		t.Fatalf("confirmation record %+v", last)
	}
}

func testFailuresRecorded(t *testing.T, b *testBundle, ev queue.Evidence) {
	const num = "+14155550001"
	b.enqueue(t, b.ev(num, 0))
	items := b.claim(t, 1)
	if err := b.q.Retry(b.ctx, items[0], 0, "cxone add: transient (HTTP 503)"); err != nil {
		t.Fatal(err)
	}
	items = b.claim(t, 1)
	if err := b.q.DeadLetter(b.ctx, items[0], "cxone add: permanent (HTTP 400)"); err != nil {
		t.Fatal(err)
	}
	st, trail := lookup(t, b, ev, num)
	if st.State != queue.StateDead || st.LastError != "cxone add: permanent (HTTP 400)" {
		t.Fatalf("state %+v", st)
	}
	if kinds(trail) != "[received failed dead]" || trail[1].Detail != "cxone add: transient (HTTP 503)" ||
		trail[2].Detail != "cxone add: permanent (HTTP 400)" {
		t.Fatalf("trail %s %+v", kinds(trail), trail)
	}
}

func testRejectionLookup(t *testing.T, b *testBundle, ev queue.Evidence) {
	r := queue.Rejection{Raw: "(12) 3", Body: `{"phoneNumber":"(12) 3"}`, Reason: "too_short", Region: "US",
		Source: "web", Channel: "form", EventID: "e1", ReceivedAt: b.base}
	if err := b.q.Reject(b.ctx, r); err != nil {
		t.Fatal(err)
	}
	st, trail := lookup(t, b, ev, queue.RejectionKey("123"))
	if st.State != queue.StateRejected || len(trail) != 1 {
		t.Fatalf("state %+v trail %s", st, kinds(trail))
	}
	if x := trail[0]; x.Kind != queue.AuditRejected || x.Raw != "(12) 3" || x.Detail != "too_short" ||
		x.Region != "US" || x.Source != "web" || x.EventID != "e1" || !x.ReceivedAt.Equal(b.base) {
		t.Fatalf("rejection record %+v", x)
	}
}

func testFirstRequest(t *testing.T, b *testBundle, ev queue.Evidence) {
	const num = "+14155550001"
	b.enqueue(t, b.ev(num, 0))
	b.ackAll(t)
	rm := b.ev(num, 500)
	rm.Action = queue.Remove
	b.enqueue(t, rm)
	b.ackAll(t)
	b.enqueue(t, b.ev(num, 900))
	st, _ := lookup(t, b, ev, num)
	if !st.FirstRequestedAt.Equal(b.base) || !st.LastEventAt.Equal(b.base.Add(900*time.Millisecond)) {
		t.Fatalf("first request %v (want %v), last %v", st.FirstRequestedAt, b.base, st.LastEventAt)
	}
}

func collect(t *testing.T, b *testBundle, ev queue.Evidence, since, until time.Time) []queue.AuditRecord {
	t.Helper()
	var out []queue.AuditRecord
	if err := ev.Export(b.ctx, since, until, func(r queue.AuditRecord) error {
		out = append(out, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func testExport(t *testing.T, b *testBundle, ev queue.Evidence) {
	b.enqueue(t, b.ev("+14155550001", 0))
	// Redis files its trail under stream ids, on its own clock, which the store's clock does not
	// move: the window is real time, so real time must pass between the two records.
	time.Sleep(2 * time.Millisecond)
	mid := time.Now().Truncate(time.Millisecond) // records are kept in ms: the second is at or after mid
	b.enqueue(t, b.ev("+14155550002", 1))
	b.q.Reject(b.ctx, queue.Rejection{Raw: "12", Reason: "too_short", ReceivedAt: time.Now()})
	all := collect(t, b, ev, time.Time{}, time.Time{})
	if len(all) != 3 || all[0].Number != "+14155550001" || all[1].Number != "+14155550002" || all[2].Kind != queue.AuditRejected {
		t.Fatalf("export %+v", all)
	}
	for i := 1; i < len(all); i++ {
		if all[i].At.Before(all[i-1].At) {
			t.Fatalf("export out of order at %d", i)
		}
	}
	if after := collect(t, b, ev, mid, time.Time{}); len(after) != 2 || after[0].Number != "+14155550002" {
		t.Fatalf("export since %v: %+v", mid, after)
	}
	if before := collect(t, b, ev, time.Time{}, mid); len(before) != 1 || before[0].Number != "+14155550001" {
		t.Fatalf("export until %v: %+v", mid, before)
	}
}

func testTrim(t *testing.T, b *testBundle, ev queue.Evidence) {
	b.enqueue(t, b.ev("+14155550001", 0))
	b.ackAll(t)
	b.enqueue(t, b.ev("+14155550002", 1))
	b.q.Reject(b.ctx, queue.Rejection{Raw: "12", Reason: "too_short", ReceivedAt: time.Now()})
	n, err := ev.TrimAudit(b.ctx, time.Now().Add(time.Hour)) // everything is older than the cutoff
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("trimmed %d records, want 1 (all but the newest of each number)", n)
	}
	_, trail := lookup(t, b, ev, "+14155550001")
	if kinds(trail) != "[confirmed]" {
		t.Fatalf("trail after trim %s, want the newest record kept", kinds(trail))
	}
	if _, trail := lookup(t, b, ev, "+14155550002"); len(trail) != 1 {
		t.Fatalf("the only record of a number was trimmed: %s", kinds(trail))
	}
	if all := collect(t, b, ev, time.Time{}, time.Time{}); len(all) != 3 {
		t.Fatalf("export after trim has %d records, want 3", len(all))
	}
	// Rejections have a retention of their own (RunRejections): the audit trail's leaves them.
	if rejs, err := b.q.Rejections(b.ctx, 10); err != nil || len(rejs) != 1 {
		t.Fatalf("rejections after the audit trail's trim: %d (%v), want 1", len(rejs), err)
	}
}

func testStatesAndResync(t *testing.T, b *testBundle, ev queue.Evidence) {
	b.enqueue(t, b.ev("+14155550001", 0), b.ev("+14155550002", 1))
	b.ackAll(t)
	b.enqueue(t, b.ev("+14155550003", 2)) // pending
	b.q.Reject(b.ctx, queue.Rejection{Raw: "12", Reason: "too_short", ReceivedAt: time.Now()})
	got := map[string]queue.State{}
	if err := ev.States(b.ctx, func(st queue.NumberState) error { got[st.Number] = st.State; return nil }); err != nil {
		t.Fatal(err)
	}
	want := map[string]queue.State{"+14155550001": queue.StateSynced, "+14155550002": queue.StateSynced,
		"+14155550003": queue.StatePending}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("States %v, want %v (rejection keys excluded)", got, want)
	}
	// Reconcile found +14155550001 missing at CXone: the same event again, marked Resync, is queued.
	again := b.ev("+14155550001", 0)
	if st := b.enqueue(t, again); st[0] != queue.Stale {
		t.Fatalf("without Resync: %q, want stale", st[0])
	}
	again.Resync = true
	if st := b.enqueue(t, again); st[0] != queue.Created {
		t.Fatalf("with Resync: %q, want created", st[0])
	}
	wantNumbers(t, b.claim(t, 10), "+14155550001", "+14155550003")
}

// An add that merges into an add in flight is answered by that push: a remove at its time is then
// older or tied, so it must be stale (tie: add wins), not pushed.
func testConfirmedCoversMergedRepeat(t *testing.T, b *testBundle, ev queue.Evidence) {
	const num = "+14155550001"
	b.enqueue(t, b.ev(num, 0))
	items := b.claim(t, 1)
	b.enqueue(t, b.ev(num, 10)) // add at 10 ms, merged while the add at 0 is in flight
	if err := b.q.Ack(b.ctx, items); err != nil {
		t.Fatal(err)
	}
	rm := b.ev(num, 20)
	rm.Action, rm.OccurredAt = queue.Remove, b.base.Add(10*time.Millisecond)
	if st := b.enqueue(t, rm); st[0] != queue.Stale {
		t.Fatalf("a remove tied with a confirmed add: %q, want stale", st[0])
	}
	if st, _ := lookup(t, b, ev, num); !st.ConfirmedOccur.Equal(b.base.Add(10 * time.Millisecond)) {
		t.Fatalf("confirmed occurredAt %v, want the merged add's", st.ConfirmedOccur)
	}
}

func testRedrive(t *testing.T, b *testBundle, ev queue.Evidence) {
	b.enqueue(t, b.ev("+14155550001", 0), b.ev("+14155550002", 1), b.ev("+14155550003", 2))
	for _, it := range b.claim(t, 3) {
		if err := b.q.DeadLetter(b.ctx, it, "cxone add: permanent"); err != nil {
			t.Fatal(err)
		}
	}
	n, err := b.q.Redrive(b.ctx, 2)
	if err != nil || n != 2 {
		t.Fatalf("Redrive(2) = %d, %v", n, err)
	}
	if s := b.stats(t); s.Dead != 1 || s.Ready != 2 {
		t.Fatalf("stats after redrive %+v", s)
	}
	got := b.claim(t, 10)
	if len(got) != 2 || got[0].Attempts != 0 || got[0].LastError != "" {
		t.Fatalf("redriven entries %+v", got)
	}
	st, trail := lookup(t, b, ev, got[0].Number)
	if st.State != queue.StatePending || st.LastError != "" || kinds(trail) != "[received dead requeued]" {
		t.Fatalf("state %+v trail %s", st, kinds(trail))
	}
	if n, err := b.q.Redrive(b.ctx, 10); err != nil || n != 1 {
		t.Fatalf("second Redrive = %d, %v", n, err)
	}
}

// A resync is for exactly the confirmed state reconcile saw missing: if a newer request was
// confirmed since, the resync is stale.
func testResyncOnlyForWhatWasSeen(t *testing.T, b *testBundle, ev queue.Evidence) {
	const num = "+14155550001"
	add := b.ev(num, 0)
	b.enqueue(t, add)
	b.ackAll(t)
	rm := b.ev(num, 10) // the person consents again, and it is confirmed before the resync lands
	rm.Action = queue.Remove
	b.enqueue(t, rm)
	b.ackAll(t)
	resync := add
	resync.ID, resync.Resync = "", true
	if st := b.enqueue(t, resync); st[0] != queue.Stale {
		t.Fatalf("a resync of an add overtaken by a confirmed remove: %q, want stale", st[0])
	}
}

// A failure record names what was pushed and failed, even when a newer event changed the entry.
func testFailureNamesPushedAction(t *testing.T, b *testBundle, ev queue.Evidence) {
	const num = "+14155550001"
	b.enqueue(t, b.ev(num, 0))
	items := b.claim(t, 1)
	rm := b.ev(num, 10)
	rm.Action = queue.Remove
	b.enqueue(t, rm)
	if err := b.q.Retry(b.ctx, items[0], 0, "503"); err != nil {
		t.Fatal(err)
	}
	_, trail := lookup(t, b, ev, num)
	if last := trail[len(trail)-1]; last.Kind != queue.AuditFailed || last.Action != queue.Add {
		t.Fatalf("failure record %+v, want the add that was pushed", last)
	}
}

// Ack records the expiry CXone was told (the pushed item's, which may be a default the entry does not
// carry), and a confirmed add whose expiry has passed reads expired.
func testConfirmedExpiry(t *testing.T, b *testBundle, ev queue.Evidence) {
	const num, gone = "+14155550001", "+14155550002"
	b.enqueue(t, b.ev(num, 0), b.ev(gone, 1))
	items := b.claim(t, 2)
	until := time.Now().Add(48 * time.Hour).Truncate(time.Millisecond)
	for i := range items {
		items[i].ExpiresAt = until
		if items[i].Number == gone {
			items[i].ExpiresAt = time.Now().Add(-time.Second).Truncate(time.Millisecond)
		}
	}
	if err := b.q.Ack(b.ctx, items); err != nil {
		t.Fatal(err)
	}
	st, trail := lookup(t, b, ev, num)
	if st.State != queue.StateSynced || !st.ConfirmedExpires.Equal(until) {
		t.Fatalf("state %+v, want synced with the expiry pushed", st)
	}
	if last := trail[len(trail)-1]; last.Kind != queue.AuditConfirmed || !last.ExpiresAt.Equal(until) {
		t.Fatalf("confirmation record %+v does not show the expiry", last)
	}
	if st, _ := lookup(t, b, ev, gone); st.State != queue.StateExpired {
		t.Fatalf("a confirmed add past its expiry reads %q, want expired", st.State)
	}
	states := map[string]queue.State{}
	if err := ev.States(b.ctx, func(st queue.NumberState) error { states[st.Number] = st.State; return nil }); err != nil {
		t.Fatal(err)
	}
	if states[gone] != queue.StateExpired || states[num] != queue.StateSynced {
		t.Fatalf("States %v", states)
	}
}

// An event refused for another field than its valid number joins that number's trail; a number seen
// before keeps its state, one never seen reads rejected without a first request.
func testRefusedValidNumber(t *testing.T, b *testBundle, ev queue.Evidence) {
	const seen, fresh = "+14155550001", "+14155550002"
	b.enqueue(t, b.ev(seen, 0))
	b.ackAll(t)
	for _, n := range []string{seen, fresh} {
		r := queue.Rejection{Number: n, Raw: "(415) 555-000x", Body: `{"expiresAt":"2001-01-01T00:00:00Z"}`,
			Reason: "expires_in_past", Source: "crm", EventID: "refused-" + n, ReceivedAt: b.base.Add(time.Second)}
		if err := b.q.Reject(b.ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	st, trail := lookup(t, b, ev, seen)
	if st.State != queue.StateSynced || kinds(trail) != "[received confirmed rejected]" {
		t.Fatalf("seen number: state %+v trail %s", st, kinds(trail))
	}
	if x := trail[2]; x.Detail != "expires_in_past" || x.EventID != "refused-"+seen || x.Source != "crm" {
		t.Fatalf("refusal record %+v", x)
	}
	st, trail = lookup(t, b, ev, fresh)
	if st.State != queue.StateRejected || !st.FirstRequestedAt.IsZero() || kinds(trail) != "[rejected]" {
		t.Fatalf("fresh number: state %+v trail %s", st, kinds(trail))
	}
	rejs, err := b.q.Rejections(b.ctx, 10)
	if err != nil || len(rejs) != 2 || rejs[0].Number != fresh || rejs[0].Reason != "expires_in_past" {
		t.Fatalf("Rejections %+v, %v", rejs, err)
	}
	// A later opt-out of the fresh number starts its first request then.
	e := b.ev(fresh, 2000)
	b.enqueue(t, e)
	if st, _ := lookup(t, b, ev, fresh); !st.FirstRequestedAt.Equal(e.ReceivedAt) || st.State != queue.StatePending {
		t.Fatalf("after an opt-out: %+v", st)
	}
}

// Words that ask for nothing are kept in the number's trail (not as rejections staff must fix).
func testIgnored(t *testing.T, b *testBundle, ev queue.Evidence) {
	const num = "+14155550001"
	r := queue.Rejection{Kind: queue.AuditIgnored, Number: num, Raw: num, Said: "see you at the weekend",
		Reason: "sms_no_keyword", Source: "twilio", Channel: "sms", EventID: "SM1", ReceivedAt: b.base}
	if err := b.q.Reject(b.ctx, r); err != nil {
		t.Fatal(err)
	}
	st, trail := lookup(t, b, ev, num)
	if st.State != queue.StateIgnored || len(trail) != 1 {
		t.Fatalf("state %+v trail %s", st, kinds(trail))
	}
	if x := trail[0]; x.Kind != queue.AuditIgnored || x.Reason != r.Said || x.Detail != r.Reason || x.Channel != "sms" {
		t.Fatalf("ignored record %+v", x)
	}
	if rejs, err := b.q.Rejections(b.ctx, 10); err != nil || len(rejs) != 0 {
		t.Fatalf("ignored words listed as rejections: %+v, %v", rejs, err)
	}
	// Input with no number at all is kept in the log only.
	if err := b.q.Reject(b.ctx, queue.Rejection{Reason: "no_phone_number", Body: "{}", ReceivedAt: b.base}); err != nil {
		t.Fatal(err)
	}
	all := collect(t, b, ev, time.Time{}, time.Time{})
	if len(all) != 2 || all[1].Detail != "no_phone_number" || all[1].Number != "" {
		t.Fatalf("export %+v", all)
	}
}

// What a rejection stores is bounded, and a digest key still finds it.
func testRejectionsBounded(t *testing.T, b *testBundle, ev queue.Evidence) {
	raw := strings.Repeat("9", 1000)
	r := queue.Rejection{Raw: raw, Body: strings.Repeat("x", 1<<16), Reason: "too_long", EventID: strings.Repeat("e", 1000),
		Source: strings.Repeat("s", 1000), ReceivedAt: b.base}
	if err := b.q.Reject(b.ctx, r); err != nil {
		t.Fatal(err)
	}
	key := queue.RejectionKey(raw)
	if len(key) > 64 {
		t.Fatalf("rejection key of %d bytes", len(key))
	}
	_, trail := lookup(t, b, ev, key)
	if x := trail[0]; len(x.Raw) > queue.MaxRawLen || len(x.EventID) > 100 || len(x.Source) > queue.MaxLabelLen {
		t.Fatalf("record kept %d raw bytes, an id of %d, a source of %d", len(x.Raw), len(x.EventID), len(x.Source))
	}
	rejs, err := b.q.Rejections(b.ctx, 1)
	if err != nil || len(rejs) != 1 || len(rejs[0].Body) > queue.MaxBodyLen || len(rejs[0].Raw) > queue.MaxRawLen {
		t.Fatalf("Rejections kept %+v, %v", len(rejs), err)
	}
}

// A long trail is read a page at a time, newest page first, each page oldest first.
func testHistoryPaged(t *testing.T, b *testBundle, ev queue.Evidence) {
	const num = "+14155550001"
	for i := range 5 {
		e := b.ev(num, i)
		e.ID = fmt.Sprint("p", i)
		b.enqueue(t, e)
	}
	var got []string
	before := ""
	for pages := 0; ; pages++ {
		if pages > 3 {
			t.Fatal("paging does not end")
		}
		h, found, err := ev.Lookup(b.ctx, num, queue.Page{Limit: 2, Before: before})
		if err != nil || !found {
			t.Fatalf("Lookup page %d: found %v, %v", pages, found, err)
		}
		var ids []string
		for _, r := range h.Records {
			ids = append(ids, r.EventID)
		}
		got = append(ids, got...)
		if h.Older == "" {
			if pages != 2 {
				t.Fatalf("%d pages of 2 for 5 records", pages+1)
			}
			break
		}
		before = h.Older
	}
	if fmt.Sprint(got) != "[p0 p1 p2 p3 p4]" {
		t.Fatalf("pages joined %v", got)
	}
	if _, _, err := ev.Lookup(b.ctx, num, queue.Page{Before: "999999"}); !errors.Is(err, queue.ErrBadCursor) {
		t.Fatalf("a made-up cursor: %v, want ErrBadCursor", err)
	}
}

// testRepeats: an event that stands for identical repeats (an import's repeated rows) is one
// record with their count, in the lookup and the export alike; an event without has none.
func testRepeats(t *testing.T, b *testBundle, ev queue.Evidence) {
	e := b.ev("+14155550001", 0)
	e.ID, e.Repeats = "row-2", 41
	e.Raw, e.Reason = `"(415)" 555\0001 ü`, "said \"stop\"\n\x01 ✓" // kept exactly, whatever the encoding
	other := b.ev("+14155550002", 1)
	other.ID = "row-3"
	b.enqueue(t, e, other)
	_, trail := lookup(t, b, ev, e.Number)
	if len(trail) != 1 || trail[0].Kind != queue.AuditReceived || trail[0].Repeats != 41 || trail[0].Raw != e.Raw ||
		trail[0].Reason != e.Reason || !trail[0].OccurredAt.Equal(e.OccurredAt) || !trail[0].ReceivedAt.Equal(e.ReceivedAt) {
		t.Fatalf("trail %+v, want one received record of %+v with 41 repeats", trail, e)
	}
	if _, trail := lookup(t, b, ev, other.Number); len(trail) != 1 || trail[0].Repeats != 0 {
		t.Fatalf("trail %+v, want one received record without repeats", trail)
	}
	got := map[string]int{}
	for _, r := range collect(t, b, ev, time.Time{}, time.Time{}) {
		got[r.Number] = r.Repeats
	}
	if got[e.Number] != 41 || got[other.Number] != 0 {
		t.Fatalf("exported repeats %v", got)
	}
	if _, err := b.q.Enqueue(b.ctx, []queue.Event{{Number: "+14155550003", Action: queue.Add, OccurredAt: b.base,
		ReceivedAt: b.base, Repeats: -1}}); err == nil {
		t.Fatal("an event with negative repeats was accepted")
	}
}
