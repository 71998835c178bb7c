// Package queuetest is the conformance suite every queue store must pass. A store's test calls Run
// with an Opener; the suite owns all semantics so the stores cannot drift apart.
package queuetest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// Opener opens a store for one test, on the clock now (its Options.Now; the suite advances it past
// leases instead of sleeping). Reopen opens the same underlying storage again, on the same clock,
// after the first handle was closed (to prove durability); stores that cannot may leave it nil.
type Opener struct {
	Open   func(t *testing.T, now func() time.Time) (q queue.Queue, reopen func() queue.Queue)
	Reopen bool
}

const lease = time.Minute

// short is a lease the tests run out by advancing the store's clock (Clock) past it: long enough
// that it never runs out on its own while a test runs, so only the clock can end it.
const short = 5 * time.Second

// testBundle is what each test gets from setup.
type testBundle struct {
	ctx    context.Context
	q      queue.Queue
	reopen func() queue.Queue
	base   time.Time
	clock  *Clock // the store's
}

func setup(t *testing.T, o Opener) *testBundle {
	t.Helper()
	clock := new(Clock)
	q, reopen := o.Open(t, clock.Now)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	// Times in the past so that entries are due at once; millisecond precision is what stores keep.
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	return &testBundle{ctx: ctx, q: q, reopen: reopen, base: base, clock: clock}
}

// ev builds an add event for number received at base+ms.
func (b *testBundle) ev(number string, ms int) queue.Event {
	at := b.base.Add(time.Duration(ms) * time.Millisecond)
	return queue.Event{Number: number, Raw: "raw " + number, Action: queue.Add, Source: "test",
		Channel: "web", Reason: "asked", Scope: "brand", OccurredAt: at, ReceivedAt: at}
}

func (b *testBundle) enqueue(t *testing.T, evs ...queue.Event) []queue.EnqueueStatus {
	t.Helper()
	st, err := b.q.Enqueue(b.ctx, evs)
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	if len(st) != len(evs) {
		t.Fatalf("Enqueue returned %d statuses for %d events", len(st), len(evs))
	}
	return st
}

func (b *testBundle) claim(t *testing.T, max int) []queue.Item {
	t.Helper()
	items, err := b.q.Claim(b.ctx, max, lease)
	if err != nil {
		t.Fatalf("Claim: %v", err)
	}
	for _, it := range items {
		if it.Lease == "" {
			t.Fatalf("claimed item %s has no lease token", it.Number)
		}
	}
	return items
}

func (b *testBundle) stats(t *testing.T) queue.Stats {
	t.Helper()
	s, err := b.q.Stats(b.ctx)
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	return s
}

func numbers(items []queue.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Number
	}
	return out
}

func wantNumbers(t *testing.T, items []queue.Item, want ...string) {
	t.Helper()
	if got := numbers(items); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("claimed %v, want %v", got, want)
	}
}

// Run runs the whole suite.
func Run(t *testing.T, o Opener) {
	tests := map[string]func(*testing.T, *testBundle){
		"EnqueueClaimAck":          testEnqueueClaimAck,
		"RepeatKeepsPlaceInLine":   testRepeatKeepsPlace,
		"EventIDIsIdempotent":      testEventID,
		"InvalidBatchWritesNone":   testInvalidBatch,
		"ClaimRespectsMaxAndLease": testClaimMax,
		"ConcurrentClaimsDisjoint": testConcurrentClaims,
		"LatestOccurredAtWins":     testOrdering,
		"ChangeWhileLeasedKept":    testChangeWhileLeased,
		"RepeatWhileLeasedAcked":   testRepeatWhileLeased,
		"StaleLeaseAckIgnored":     testStaleLease,
		"RetryAndSnooze":           testRetry,
		"DeadLetterAndRevive":      testDeadLetter,
		"RecoverExpiredLeases":     testRecover,
		"ExtendKeepsLeases":        testExtend,
		"RejectionsRecorded":       testRejections,
		"StatsOldest":              testStatsOldest,
		"ChangedInFlightNotDead":   testChangedNotDead,
		"EventIDsPerNumber":        testEventIDPerNumber,
		"RulesMatchWins":           testRulesMatchWins,
		"EveryEventFieldSurvives":  testEveryFieldSurvives,
	}
	for _, n := range slices.Sorted(maps.Keys(tests)) {
		t.Run(n, func(t *testing.T) { tests[n](t, setup(t, o)) })
	}
	if o.Reopen {
		t.Run("SurvivesReopen", func(t *testing.T) { testReopen(t, setup(t, o)) })
	}
}

func testEnqueueClaimAck(t *testing.T, b *testBundle) {
	e := b.ev("+14155552671", 0)
	e.ExpiresAt = b.base.Add(24 * time.Hour)
	if st := b.enqueue(t, e); st[0] != queue.Created {
		t.Fatalf("status %q, want created", st[0])
	}
	items := b.claim(t, 10)
	wantNumbers(t, items, "+14155552671")
	it := items[0]
	if it.Action != queue.Add || it.Raw != e.Raw || it.Source != "test" || it.Channel != "web" ||
		it.Reason != "asked" || it.Scope != "brand" || !it.OccurredAt.Equal(e.OccurredAt) ||
		!it.FirstReceivedAt.Equal(e.ReceivedAt) || !it.ExpiresAt.Equal(e.ExpiresAt) || it.Events != 1 {
		t.Fatalf("item fields not kept: %+v", it)
	}
	if s := b.stats(t); s.Ready != 0 || s.Leased != 1 {
		t.Fatalf("stats after claim %+v", s)
	}
	if err := b.q.Ack(b.ctx, items); err != nil {
		t.Fatal(err)
	}
	if s := b.stats(t); s.Depth() != 0 || s.Dead != 0 {
		t.Fatalf("stats after ack %+v", s)
	}
	if again := b.claim(t, 10); len(again) != 0 {
		t.Fatalf("acked item claimed again: %v", numbers(again))
	}
}

func testRepeatKeepsPlace(t *testing.T, b *testBundle) {
	b.enqueue(t, b.ev("+14155550001", 0), b.ev("+14155550002", 10))
	if st := b.enqueue(t, b.ev("+14155550001", 20)); st[0] != queue.Merged {
		t.Fatalf("repeat status %q, want merged", st[0])
	}
	items := b.claim(t, 10)
	wantNumbers(t, items, "+14155550001", "+14155550002")
	if !items[0].FirstReceivedAt.Equal(b.base) || items[0].Events != 2 ||
		!items[0].LastReceivedAt.Equal(b.base.Add(20*time.Millisecond)) {
		t.Fatalf("repeat changed first receipt or did not count: %+v", items[0])
	}
}

func testEventID(t *testing.T, b *testBundle) {
	e := b.ev("+14155550001", 0)
	e.ID = "evt-1"
	if st := b.enqueue(t, e); st[0] != queue.Created {
		t.Fatalf("first: %q", st[0])
	}
	e2 := b.ev("+14155550001", 5)
	e2.ID = "evt-1"
	e3 := b.ev("+14155550002", 5)
	e3.ID = "evt-2"
	e4 := e3 // the same id twice in one batch
	st := b.enqueue(t, e2, e3, e4)
	if st[0] != queue.Duplicate || st[1] != queue.Created || st[2] != queue.Duplicate {
		t.Fatalf("statuses %v, want duplicate created duplicate", st)
	}
	items := b.claim(t, 10)
	if len(items) != 2 || items[0].Events != 1 || items[1].Events != 1 {
		t.Fatalf("duplicates changed entries: %+v", items)
	}
}

func testInvalidBatch(t *testing.T, b *testBundle) {
	bad := b.ev("4155550002", 0) // not E.164
	if _, err := b.q.Enqueue(b.ctx, []queue.Event{b.ev("+14155550001", 0), bad}); err == nil {
		t.Fatal("a batch with an invalid event was accepted")
	}
	if s := b.stats(t); s.Depth() != 0 {
		t.Fatalf("half of an invalid batch was written: %+v", s)
	}
}

func testClaimMax(t *testing.T, b *testBundle) {
	for i := range 5 {
		b.enqueue(t, b.ev(fmt.Sprintf("+1415555000%d", i), i))
	}
	wantNumbers(t, b.claim(t, 2), "+14155550000", "+14155550001")
	wantNumbers(t, b.claim(t, 2), "+14155550002", "+14155550003")
	wantNumbers(t, b.claim(t, 2), "+14155550004")
	if rest := b.claim(t, 2); len(rest) != 0 {
		t.Fatalf("leased entries claimed twice: %v", numbers(rest))
	}
}

func testConcurrentClaims(t *testing.T, b *testBundle) {
	const n = 200
	evs := make([]queue.Event, n)
	for i := range evs {
		evs[i] = b.ev(fmt.Sprintf("+1415555%04d", i), i)
	}
	b.enqueue(t, evs...)
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for {
				items, err := b.q.Claim(b.ctx, 7, lease)
				if err != nil {
					errs <- err
					return
				}
				if len(items) == 0 {
					return
				}
				mu.Lock()
				for _, it := range items {
					seen[it.Number]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(seen) != n {
		t.Fatalf("claimed %d distinct numbers, want %d", len(seen), n)
	}
	for num, c := range seen {
		if c != 1 {
			t.Fatalf("%s claimed %d times", num, c)
		}
	}
}

func testOrdering(t *testing.T, b *testBundle) {
	const num = "+14155550001"
	add := b.ev(num, 100)
	b.enqueue(t, add)
	older := b.ev(num, 200) // received later, occurred earlier
	older.Action, older.OccurredAt = queue.Remove, b.base.Add(50*time.Millisecond)
	b.enqueue(t, older)
	items := b.claim(t, 1)
	if items[0].Action != queue.Add || items[0].Events != 2 {
		t.Fatalf("an older remove overrode a later add: %+v", items[0])
	}
	if err := b.q.Snooze(b.ctx, items[0], 0, "again"); err != nil {
		t.Fatal(err)
	}
	later := b.ev(num, 300)
	later.Action = queue.Remove
	b.enqueue(t, later)
	items = b.claim(t, 1)
	if items[0].Action != queue.Remove {
		t.Fatalf("a later remove lost: %+v", items[0])
	}
	b.q.Snooze(b.ctx, items[0], 0, "again")
	tie := b.ev(num, 400)
	tie.OccurredAt = later.OccurredAt // same instant as the remove: add wins
	b.enqueue(t, tie)
	items = b.claim(t, 1)
	if items[0].Action != queue.Add {
		t.Fatalf("on a tie remove won: %+v", items[0])
	}
}

func testChangeWhileLeased(t *testing.T, b *testBundle) {
	const num = "+14155550001"
	b.enqueue(t, b.ev(num, 0))
	items := b.claim(t, 1)
	rm := b.ev(num, 100)
	rm.Action = queue.Remove
	b.enqueue(t, rm)
	if err := b.q.Ack(b.ctx, items); err != nil {
		t.Fatal(err)
	}
	again := b.claim(t, 1)
	wantNumbers(t, again, num)
	if again[0].Action != queue.Remove || !again[0].FirstReceivedAt.Equal(b.base) {
		t.Fatalf("event that arrived in flight not kept: %+v", again[0])
	}
	if err := b.q.Ack(b.ctx, again); err != nil {
		t.Fatal(err)
	}
	if s := b.stats(t); s.Depth() != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func testRepeatWhileLeased(t *testing.T, b *testBundle) {
	const num = "+14155550001"
	b.enqueue(t, b.ev(num, 0))
	items := b.claim(t, 1)
	if st := b.enqueue(t, b.ev(num, 100)); st[0] != queue.Merged {
		t.Fatalf("status %q", st[0])
	}
	if err := b.q.Ack(b.ctx, items); err != nil {
		t.Fatal(err)
	}
	if s := b.stats(t); s.Depth() != 0 {
		t.Fatalf("a plain repeat while in flight kept the entry: %+v", s)
	}
}

func testStaleLease(t *testing.T, b *testBundle) {
	const num = "+14155550001"
	b.enqueue(t, b.ev(num, 0))
	first, err := b.q.Claim(b.ctx, 1, short)
	if err != nil || len(first) != 1 {
		t.Fatalf("claim: %v %v", first, err)
	}
	b.clock.Advance(2 * short) // past the lease
	if n, err := b.q.Recover(b.ctx, 10); err != nil || n != 1 {
		t.Fatalf("Recover = %d, %v; want 1", n, err)
	}
	second := b.claim(t, 1)
	wantNumbers(t, second, num)
	// The first owner's late answers must not touch the second owner's claim.
	if err := b.q.Ack(b.ctx, first); err != nil {
		t.Fatal(err)
	}
	if err := b.q.Retry(b.ctx, first[0], time.Hour, "late"); err != nil {
		t.Fatal(err)
	}
	if err := b.q.Snooze(b.ctx, first[0], time.Hour, "late"); err != nil {
		t.Fatal(err)
	}
	if n, err := b.q.Extend(b.ctx, first, time.Millisecond); err != nil || n != 0 {
		t.Fatalf("Extend of a stale lease = %d, %v; want 0", n, err)
	}
	if err := b.q.DeadLetter(b.ctx, first[0], "late"); err != nil {
		t.Fatal(err)
	}
	if s := b.stats(t); s.Leased != 1 || s.Dead != 0 {
		t.Fatalf("a stale lease changed the entry: %+v", s)
	}
	if err := b.q.Ack(b.ctx, second); err != nil {
		t.Fatal(err)
	}
	if s := b.stats(t); s.Depth() != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func testRetry(t *testing.T, b *testBundle) {
	b.enqueue(t, b.ev("+14155550001", 0), b.ev("+14155550002", 1))
	items := b.claim(t, 2)
	before := time.Now()
	if err := b.q.Retry(b.ctx, items[0], time.Hour, "boom"); err != nil {
		t.Fatal(err)
	}
	if err := b.q.Snooze(b.ctx, items[1], 0, "slow down"); err != nil {
		t.Fatal(err)
	}
	again := b.claim(t, 10)
	wantNumbers(t, again, "+14155550002")
	if again[0].Attempts != 0 || again[0].LastError != "slow down" {
		t.Fatalf("a snooze spent an attempt: %+v", again[0])
	}
	due, ok, err := b.q.NextDue(b.ctx)
	if err != nil || !ok {
		t.Fatalf("NextDue: %v %v", ok, err)
	}
	if due.Before(before.Add(59*time.Minute)) || due.After(time.Now().Add(61*time.Minute)) {
		t.Fatalf("NextDue %v, want about an hour from now", due)
	}
	if s := b.stats(t); s.Ready != 1 || s.Leased != 1 {
		t.Fatalf("stats %+v", s)
	}
	b.q.Ack(b.ctx, again)
	if err := b.q.Retry(b.ctx, again[0], 0, ""); err != nil {
		t.Fatal(err) // retrying an acked entry is a no-op, not an error
	}
	if err := b.q.Snooze(b.ctx, again[0], 0, ""); err != nil {
		t.Fatal(err)
	}
}

func testDeadLetter(t *testing.T, b *testBundle) {
	const num = "+14155550001"
	b.enqueue(t, b.ev(num, 0))
	items := b.claim(t, 1)
	if err := b.q.DeadLetter(b.ctx, items[0], "invalid at CXone"); err != nil {
		t.Fatal(err)
	}
	if s := b.stats(t); s.Dead != 1 || s.Depth() != 0 {
		t.Fatalf("stats %+v", s)
	}
	if got := b.claim(t, 1); len(got) != 0 {
		t.Fatalf("dead entry claimed: %v", numbers(got))
	}
	if _, ok, _ := b.q.NextDue(b.ctx); ok {
		t.Fatal("NextDue reports a dead entry")
	}
	// A new request for the number is a new chance: it revives the entry with fresh attempts.
	b.enqueue(t, b.ev(num, 50))
	got := b.claim(t, 1)
	wantNumbers(t, got, num)
	if got[0].Attempts != 0 || got[0].Events != 2 {
		t.Fatalf("revived entry %+v", got[0])
	}
	if s := b.stats(t); s.Dead != 0 {
		t.Fatalf("stats %+v", s)
	}
}

// A lease that ran out is not the number's failure: the entry is due again at once, at its place
// in line, with no attempt spent; only its lost leases count, up to dead-lettering.
func testRecover(t *testing.T, b *testBundle) {
	b.enqueue(t, b.ev("+14155550001", 0), b.ev("+14155550002", 1))
	if _, err := b.q.Claim(b.ctx, 2, short); err != nil {
		t.Fatal(err)
	}
	b.enqueue(t, b.ev("+14155550003", 2), b.ev("+14155550004", 3))
	held := b.claim(t, 1) // a live lease must survive Recover
	wantNumbers(t, held, "+14155550003")
	b.clock.Advance(2 * short) // past the short leases, well within the minute's
	n, err := b.q.Recover(b.ctx, 2)
	if err != nil || n != 2 {
		t.Fatalf("Recover = %d, %v; want 2", n, err)
	}
	if due, ok, err := b.q.NextDue(b.ctx); err != nil || !ok || due.After(b.clock.Now()) {
		t.Fatalf("NextDue after recovery %v %v %v: a lost lease must not back off", due, ok, err)
	}
	got, err := b.q.Claim(b.ctx, 10, short)
	if err != nil {
		t.Fatal(err)
	}
	// Ahead of +14155550004, which arrived later: the recovered entries kept their place in line.
	wantNumbers(t, got, "+14155550001", "+14155550002", "+14155550004")
	if got[0].Attempts != 0 || got[0].LostLeases != 1 || got[0].LastError == "" || got[2].LostLeases != 0 {
		t.Fatalf("recovery spent an attempt or did not count the lost lease: %+v", got)
	}
	b.clock.Advance(2 * short)
	if n, err := b.q.Recover(b.ctx, 2); err != nil || n != 3 {
		t.Fatalf("second Recover = %d, %v", n, err)
	}
	if s := b.stats(t); s.Dead != 2 || s.Leased != 1 || s.Ready != 1 {
		t.Fatalf("entries that lost two leases not dead, or the one that lost one dead: %+v", s)
	}
	if err := b.q.Ack(b.ctx, held); err != nil {
		t.Fatal(err)
	}
}

// Extend keeps a lease alive past its first deadline, only for the holder of the token.
func testExtend(t *testing.T, b *testBundle) {
	b.enqueue(t, b.ev("+14155550001", 0), b.ev("+14155550002", 1))
	items, err := b.q.Claim(b.ctx, 2, short)
	if err != nil || len(items) != 2 {
		t.Fatalf("claim %v %v", items, err)
	}
	if n, err := b.q.Extend(b.ctx, items, time.Hour); err != nil || n != 2 {
		t.Fatalf("Extend = %d, %v; want 2", n, err)
	}
	b.clock.Advance(2 * short) // past the first deadline
	if n, err := b.q.Recover(b.ctx, 5); err != nil || n != 0 {
		t.Fatalf("Recover took %d extended leases (%v)", n, err)
	}
	if n, err := b.q.Extend(b.ctx, items[:1], short); err != nil || n != 1 {
		t.Fatalf("Extend = %d, %v; want 1", n, err)
	}
	b.clock.Advance(2 * short)
	if n, err := b.q.Recover(b.ctx, 5); err != nil || n != 1 {
		t.Fatalf("Recover = %d, %v; want the lease shortened by Extend", n, err)
	}
	again := b.claim(t, 10)
	wantNumbers(t, again, "+14155550001")
	if n, err := b.q.Extend(b.ctx, items, time.Hour); err != nil || n != 1 {
		t.Fatalf("Extend with a recovered token = %d, %v; want only the entry still held", n, err)
	}
	if err := b.q.Ack(b.ctx, append(again, items[1])); err != nil {
		t.Fatal(err)
	}
	if s := b.stats(t); s.Depth() != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func testRejections(t *testing.T, b *testBundle) {
	for i, raw := range []string{"12", "not a number"} {
		r := queue.Rejection{Raw: raw, Body: `{"phoneNumber":"` + raw + `"}`, Reason: "too_short",
			Region: "US", Source: "web", EventID: fmt.Sprint("e", i), ReceivedAt: b.base.Add(time.Duration(i) * time.Second)}
		if err := b.q.Reject(b.ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := b.q.Rejections(b.ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Raw != "not a number" || got[1].Raw != "12" || got[1].Reason != "too_short" ||
		got[1].EventID != "e0" || !got[1].ReceivedAt.Equal(b.base) || got[1].Body == "" {
		t.Fatalf("rejections %+v", got)
	}
	if s := b.stats(t); s.Depth() != 0 {
		t.Fatal("a rejection entered the queue")
	}
}

func testStatsOldest(t *testing.T, b *testBundle) {
	if s := b.stats(t); !s.OldestReceived.IsZero() {
		t.Fatalf("empty queue has an oldest entry: %+v", s)
	}
	b.enqueue(t, b.ev("+14155550001", 500), b.ev("+14155550002", 100))
	items := b.claim(t, 1) // the oldest is now leased: it still counts
	if s := b.stats(t); !s.OldestReceived.Equal(b.base.Add(100 * time.Millisecond)) {
		t.Fatalf("oldest %v, want %v", s.OldestReceived, b.base.Add(100*time.Millisecond))
	}
	b.q.Retry(b.ctx, items[0], time.Hour, "x") // and when it waits for a retry
	if s := b.stats(t); !s.OldestReceived.Equal(b.base.Add(100 * time.Millisecond)) {
		t.Fatalf("oldest after retry %v", s.OldestReceived)
	}
}

func testReopen(t *testing.T, b *testBundle) {
	e := b.ev("+14155550001", 0)
	e.ID = "evt-keep"
	b.enqueue(t, e, b.ev("+442079460958", 1))
	if err := b.q.Close(); err != nil {
		t.Fatal(err)
	}
	q := b.reopen()
	defer q.Close()
	if st, err := q.Enqueue(b.ctx, []queue.Event{e}); err != nil || st[0] != queue.Duplicate {
		t.Fatalf("event id forgotten across reopen: %v %v", st, err)
	}
	items, err := q.Claim(b.ctx, 10, lease)
	if err != nil {
		t.Fatal(err)
	}
	wantNumbers(t, items, "+14155550001", "+442079460958")
}

func testChangedNotDead(t *testing.T, b *testBundle) {
	const num = "+14155550001"
	rm := b.ev(num, 0)
	rm.Action = queue.Remove
	b.enqueue(t, rm)
	items := b.claim(t, 1)
	b.enqueue(t, b.ev(num, 100)) // an opt-out arrives while the remove is in flight
	if err := b.q.DeadLetter(b.ctx, items[0], "remove refused"); err != nil {
		t.Fatal(err)
	}
	if s := b.stats(t); s.Dead != 0 {
		t.Fatalf("the opt-out that arrived in flight was dead-lettered with the remove: %+v", s)
	}
	again := b.claim(t, 1)
	wantNumbers(t, again, num)
	if again[0].Action != queue.Add || again[0].Attempts != 0 {
		t.Fatalf("entry after a changed dead-letter %+v", again[0])
	}
	b.enqueue(t, func() queue.Event { e := b.ev(num, 200); e.Action = queue.Remove; return e }())
	if err := b.q.Retry(b.ctx, again[0], 0, "503"); err != nil {
		t.Fatal(err)
	}
	if third := b.claim(t, 1); third[0].Attempts != 0 || third[0].Action != queue.Remove {
		t.Fatalf("a failure of what the entry no longer asks for spent an attempt: %+v", third[0])
	}
}

func testEventIDPerNumber(t *testing.T, b *testBundle) {
	e1, e2 := b.ev("+14155550001", 0), b.ev("+14155550002", 1)
	e1.ID, e2.ID = "1001", "1001" // two senders that number their events alike
	if st := b.enqueue(t, e1, e2); st[0] != queue.Created || st[1] != queue.Created {
		t.Fatalf("the same id for another number was taken as a duplicate: %v", st)
	}
}
