package queuetest

import (
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// store is what the operations tests need of a store: the queue, its evidence and its operations.
type store interface {
	queue.Queue
	queue.Evidence
	queue.Operations
}

// RunOperations runs the operator-tools part of the suite (dead letters, rejections since, last
// confirmation). The store the Opener returns must also be a queue.Evidence and queue.Operations.
func RunOperations(t *testing.T, o Opener) {
	tests := map[string]func(*testing.T, *testBundle, store){
		"DeadLettersListedWithErrors": testDeadLetters,
		"RedriveNamedNumbers":         testRedriveNumbers,
		"DropNeedsReasonAndRecordsIt": testDropDead,
		"RejectionsSince":             testRejectionsSince,
		"LastConfirmed":               testLastConfirmed,
	}
	for _, n := range slices.Sorted(maps.Keys(tests)) {
		t.Run(n, func(t *testing.T) {
			b := setup(t, o)
			s, ok := b.q.(store)
			if !ok {
				t.Fatalf("%T does not implement queue.Evidence and queue.Operations", b.q)
			}
			tests[n](t, b, s)
		})
	}
}

// deadLetter claims every ready entry and dead-letters each with errMsg.
func (b *testBundle) deadLetter(t *testing.T, errMsg string) []queue.Item {
	t.Helper()
	items := b.claim(t, 100)
	for _, it := range items {
		if err := b.q.DeadLetter(b.ctx, it, errMsg); err != nil {
			t.Fatal(err)
		}
	}
	return items
}

func testDeadLetters(t *testing.T, b *testBundle, s store) {
	if dl, err := s.DeadLetters(b.ctx, 10); err != nil || len(dl) != 0 {
		t.Fatalf("DeadLetters of an empty store = %v, %v", dl, err)
	}
	b.enqueue(t, b.ev("+14155550001", 0))
	b.deadLetter(t, "cxone: invalid number")
	b.clock.Advance(2 * time.Millisecond) // dead-at is kept in ms: the second must die later
	b.enqueue(t, b.ev("+14155550002", 1), b.ev("+14155550003", 2))
	b.deadLetter(t, "cxone: refused")
	b.enqueue(t, b.ev("+14155550004", 3)) // pending, not dead

	dl, err := s.DeadLetters(b.ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(dl) != 3 || dl[0].Number != "+14155550001" {
		t.Fatalf("dead letters %+v, want three, oldest dead first", dl)
	}
	d := dl[0]
	if d.LastError != "cxone: invalid number" || d.Action != queue.Add || d.Raw != "raw +14155550001" ||
		d.Source != "test" || !d.FirstReceivedAt.Equal(b.base) || d.DeadAt.IsZero() || d.DeadAt.After(b.clock.Now()) {
		t.Fatalf("dead letter %+v", d)
	}
	if dl[1].LastError != "cxone: refused" || dl[1].DeadAt.Before(d.DeadAt) {
		t.Fatalf("second dead letter %+v", dl[1])
	}
	if dl, err := s.DeadLetters(b.ctx, 2); err != nil || len(dl) != 2 {
		t.Fatalf("DeadLetters(2) = %d, %v", len(dl), err)
	}
}

func testRedriveNumbers(t *testing.T, b *testBundle, s store) {
	b.enqueue(t, b.ev("+14155550001", 0), b.ev("+14155550002", 1))
	b.deadLetter(t, "cxone: refused")
	b.enqueue(t, b.ev("+14155550003", 2)) // pending
	got, err := s.RedriveNumbers(b.ctx, []string{"+14155550002", "+14155550003", "+14155559999"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"+14155550002"}) {
		t.Fatalf("RedriveNumbers re-queued %v, want only the dead one named", got)
	}
	if st := b.stats(t); st.Dead != 1 || st.Ready != 2 {
		t.Fatalf("stats after redrive %+v", st)
	}
	items := b.claim(t, 10)
	wantNumbers(t, items, "+14155550003", "+14155550002") // redriven: due now, behind the pending one
	for _, it := range items {
		if it.Number == "+14155550002" && (it.Attempts != 0 || it.LastError != "") {
			t.Fatalf("redriven entry %+v keeps its failures", it)
		}
	}
	st, trail := lookup(t, b, s, "+14155550002")
	if st.State != queue.StatePending || kinds(trail) != "[received dead requeued]" {
		t.Fatalf("state %+v trail %s", st, kinds(trail))
	}
	if got, err := s.RedriveNumbers(b.ctx, []string{"+14155550002"}); err != nil || len(got) != 0 {
		t.Fatalf("redrive of a number no longer dead = %v, %v", got, err)
	}
}

func testDropDead(t *testing.T, b *testBundle, s store) {
	b.enqueue(t, b.ev("+14155550001", 0), b.ev("+14155550002", 1))
	b.deadLetter(t, "cxone: invalid number")
	b.enqueue(t, b.ev("+14155550003", 2)) // pending
	if _, err := s.DropDead(b.ctx, []string{"+14155550001"}, "  "); !errors.Is(err, queue.ErrNoReason) {
		t.Fatalf("drop without a reason: %v, want ErrNoReason", err)
	}
	if st := b.stats(t); st.Dead != 2 {
		t.Fatalf("a refused drop changed the queue: %+v", st)
	}
	got, err := s.DropDead(b.ctx, []string{"+14155550001", "+14155550003"}, "number disconnected, per the customer")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"+14155550001"}) {
		t.Fatalf("DropDead dropped %v, want only the dead one named", got)
	}
	if st := b.stats(t); st.Dead != 1 || st.Ready != 1 {
		t.Fatalf("stats after drop %+v", st)
	}
	st, trail := lookup(t, b, s, "+14155550001")
	last := trail[len(trail)-1]
	if st.State != queue.StateDropped || st.LastError != "cxone: invalid number" || kinds(trail) != "[received dead dropped]" ||
		last.Detail != "number disconnected, per the customer" || last.Action != queue.Add {
		t.Fatalf("state %+v trail %s, last %+v", st, kinds(trail), last)
	}
	if dl, _ := s.DeadLetters(b.ctx, 10); len(dl) != 1 || dl[0].Number != "+14155550002" {
		t.Fatalf("dead letters after drop %+v", dl)
	}
	// A new request for a dropped number is queued afresh.
	if got := b.enqueue(t, b.ev("+14155550001", 10)); got[0] != queue.Created {
		t.Fatalf("a new request after a drop: %s, want created", got[0])
	}
	if st, _ := lookup(t, b, s, "+14155550001"); st.State != queue.StatePending {
		t.Fatalf("state after a new request %s", st.State)
	}
}

func testRejectionsSince(t *testing.T, b *testBundle, s store) {
	rej := func(raw string, at time.Time) queue.Rejection {
		return queue.Rejection{Raw: raw, Reason: "too_short", Region: "US", Source: "import", EventID: "e-" + raw, ReceivedAt: at}
	}
	for i, raw := range []string{"11", "22", "33", "44"} {
		if err := b.q.Reject(b.ctx, rej(raw, b.base.Add(time.Duration(i)*time.Minute))); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.RejectionsSince(b.ctx, b.base.Add(time.Minute), 100)
	if err != nil {
		t.Fatal(err)
	}
	var raws []string
	for _, r := range got {
		raws = append(raws, r.Raw)
	}
	if !slices.Equal(raws, []string{"44", "33", "22"}) {
		t.Fatalf("rejections since the second: %v, want newest first down to it", raws)
	}
	if got[0].Reason != "too_short" || got[0].Source != "import" || got[0].EventID != "e-44" ||
		!got[0].ReceivedAt.Equal(b.base.Add(3*time.Minute)) {
		t.Fatalf("rejection %+v", got[0])
	}
	if got, _ := s.RejectionsSince(b.ctx, time.Time{}, 2); len(got) != 2 || got[0].Raw != "44" {
		t.Fatalf("newest two since the beginning: %+v", got)
	}
	if got, _ := s.RejectionsSince(b.ctx, time.Now(), 100); len(got) != 0 {
		t.Fatalf("rejections since now: %+v", got)
	}
}

func testLastConfirmed(t *testing.T, b *testBundle, s store) {
	if at, err := s.LastConfirmed(b.ctx); err != nil || !at.IsZero() {
		t.Fatalf("LastConfirmed of a store that never pushed = %v, %v", at, err)
	}
	b.enqueue(t, b.ev("+14155550001", 0))
	items := b.claim(t, 1)
	if err := b.q.Retry(b.ctx, items[0], 0, "cxone: 503"); err != nil {
		t.Fatal(err)
	}
	if at, _ := s.LastConfirmed(b.ctx); !at.IsZero() {
		t.Fatalf("a failed push set LastConfirmed to %v", at)
	}
	before := time.Now().Truncate(time.Millisecond)
	if err := b.q.Ack(b.ctx, b.claim(t, 1)); err != nil {
		t.Fatal(err)
	}
	at, err := s.LastConfirmed(b.ctx)
	if err != nil || at.Before(before) || at.After(time.Now()) {
		t.Fatalf("LastConfirmed after an ack = %v, %v; want between %v and now", at, err, before)
	}
}
