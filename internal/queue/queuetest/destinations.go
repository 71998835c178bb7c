package queuetest

import (
	"errors"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// RunDestinations checks a store opened with two destinations, "cxone" (the primary) and
// "genesys": every event is queued for both in one write, each destination's queue moves on its
// own, and the evidence shows each destination's standing. open opens a fresh store with names,
// on the clock now (as Opener.Open).
func RunDestinations(t *testing.T, open func(t *testing.T, names []string, now func() time.Time) queue.Store) {
	tests := map[string]func(*testing.T, *destBundle){
		"QueuedForEach": testDestQueuedForEach,
		"Independent":   testDestIndependent,
		"StaleEach":     testDestStaleEach,
		"Only":          testDestOnly,
		"DeadInOne":     testDestDeadInOne,
		"Unknown":       testDestUnknown,
		"Lanes":         testDestLanes,
		"LanesKeepAdd":  testDestLanesKeepAdd,
		"LaneUnknown":   testDestLaneUnknown,
	}
	for n, fn := range tests {
		t.Run(n, func(t *testing.T) {
			fn(t, newDestBundle(t, open))
		})
	}
	// The second destination's queue is a queue like any other: the whole suite holds on it.
	t.Run("ConformsAsSecondary", func(t *testing.T) {
		Run(t, Opener{Open: func(t *testing.T, now func() time.Time) (queue.Queue, func() queue.Queue) {
			s := open(t, []string{"cxone", "genesys"}, now)
			g, err := s.(queue.Router).Dest("genesys")
			if err != nil {
				t.Fatal(err)
			}
			return g, nil
		}})
	})
}

// newDestBundle opens a store with "cxone" and "genesys" on the suite's clock.
func newDestBundle(t *testing.T, open func(t *testing.T, names []string, now func() time.Time) queue.Store) *destBundle {
	var s queue.Store
	b := &destBundle{testBundle: setup(t, Opener{Open: func(t *testing.T, now func() time.Time) (queue.Queue, func() queue.Queue) {
		s = open(t, []string{"cxone", "genesys"}, now)
		return s, nil
	}})}
	b.s = s
	b.cx, b.gn = b.dest(t, "cxone"), b.dest(t, "genesys")
	return b
}

type destBundle struct {
	*testBundle
	s      queue.Store
	cx, gn queue.Store
}

func (b *destBundle) dest(t *testing.T, name string) queue.Store {
	t.Helper()
	r, ok := b.s.(queue.Router)
	if !ok {
		t.Fatalf("%T is not a queue.Router", b.s)
	}
	d, err := r.Dest(name)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func claimFrom(t *testing.T, b *destBundle, q queue.Queue, max int) []queue.Item {
	t.Helper()
	items, err := q.Claim(b.ctx, max, lease)
	if err != nil {
		t.Fatalf("Claim: %v", err)
	}
	return items
}

func (b *destBundle) state(t *testing.T, number string) queue.NumberState {
	t.Helper()
	h, found, err := b.s.Lookup(b.ctx, number, queue.Page{})
	if err != nil || !found {
		t.Fatalf("Lookup(%s): found %v, %v", number, found, err)
	}
	return h.State
}

func testDestQueuedForEach(t *testing.T, b *destBundle) {
	if got := b.s.(queue.Router).Destinations(); len(got) != 2 || got[0] != "cxone" || got[1] != "genesys" {
		t.Fatalf("Destinations() = %v", got)
	}
	st := b.enqueue(t, b.ev("+14155550001", 0))
	if st[0] != queue.Created {
		t.Fatalf("status %s", st[0])
	}
	for _, q := range []queue.Store{b.cx, b.gn} {
		s, err := q.Stats(b.ctx)
		if err != nil || s.Ready != 1 {
			t.Fatalf("stats %+v %v: want one ready entry for each destination", s, err)
		}
	}
	ns := b.state(t, "+14155550001")
	if ns.State != queue.StatePending || ns.Destinations["cxone"].State != queue.StatePending ||
		ns.Destinations["genesys"].State != queue.StatePending {
		t.Fatalf("state %+v: want pending at both", ns)
	}
}

func testDestIndependent(t *testing.T, b *destBundle) {
	b.enqueue(t, b.ev("+14155550002", 0))
	items := claimFrom(t, b, b.cx, 10)
	wantNumbers(t, items, "+14155550002")
	if err := b.cx.Ack(b.ctx, items); err != nil {
		t.Fatal(err)
	}
	ns := b.state(t, "+14155550002")
	cx, gn := ns.Destinations["cxone"], ns.Destinations["genesys"]
	if cx.State != queue.StateSynced || cx.ConfirmedAction != queue.Add || cx.ConfirmedAt.IsZero() {
		t.Fatalf("cxone %+v: want synced with its confirmation", cx)
	}
	if gn.State != queue.StatePending || !gn.ConfirmedAt.IsZero() {
		t.Fatalf("genesys %+v: want pending, never confirmed", gn)
	}
	if ns.State != queue.StatePending {
		t.Fatalf("number %s: pending until every destination confirmed", ns.State)
	}
	// The second destination fails, is retried, then confirms.
	g := claimFrom(t, b, b.gn, 10)
	wantNumbers(t, g, "+14155550002")
	if err := b.gn.Snooze(b.ctx, g[0], 0, "genesys 503"); err != nil {
		t.Fatal(err)
	}
	if ns := b.state(t, "+14155550002"); ns.Destinations["genesys"].LastError != "genesys 503" ||
		ns.Destinations["cxone"].LastError != "" {
		t.Fatalf("last errors %+v: the failure is genesys's only", ns.Destinations)
	}
	g = claimFrom(t, b, b.gn, 10)
	if err := b.gn.Ack(b.ctx, g); err != nil {
		t.Fatal(err)
	}
	ns = b.state(t, "+14155550002")
	if ns.State != queue.StateSynced || ns.Destinations["genesys"].State != queue.StateSynced {
		t.Fatalf("state %+v: want synced everywhere", ns)
	}
	h, _, err := b.s.Lookup(b.ctx, "+14155550002", queue.Page{})
	if err != nil {
		t.Fatal(err)
	}
	confirmed := map[string]int{}
	for _, r := range h.Records {
		if r.Kind == queue.AuditConfirmed || r.Kind == queue.AuditFailed {
			confirmed[string(r.Kind)+"@"+r.Destination]++
		}
	}
	if confirmed["confirmed@cxone"] != 1 || confirmed["confirmed@genesys"] != 1 || confirmed["failed@genesys"] != 1 ||
		len(confirmed) != 3 {
		t.Fatalf("trail records by destination %v: want one confirmation each and genesys's failure", confirmed)
	}
	for _, q := range []queue.Store{b.cx, b.gn} {
		if s, _ := q.Stats(b.ctx); s.Depth() != 0 {
			t.Fatalf("stats %+v after both confirmed", s)
		}
		if at, err := q.(queue.Operations).LastConfirmed(b.ctx); err != nil || at.IsZero() {
			t.Fatalf("LastConfirmed %v %v", at, err)
		}
	}
}

// Each destination compares an event with what it confirmed itself.
func testDestStaleEach(t *testing.T, b *destBundle) {
	n := "+14155550003"
	b.enqueue(t, b.ev(n, 10))
	if err := b.cx.Ack(b.ctx, claimFrom(t, b, b.cx, 10)); err != nil {
		t.Fatal(err)
	}
	// An older removal: stale for cxone (it confirmed a newer add), folded into genesys's entry,
	// where the newer add still wins.
	old := b.ev(n, 5)
	old.Action = queue.Remove
	if st := b.enqueue(t, old); st[0] != queue.Merged {
		t.Fatalf("older removal: %s, want merged (genesys's entry)", st[0])
	}
	if s, _ := b.cx.Stats(b.ctx); s.Depth() != 0 {
		t.Fatalf("cxone queued an event older than what it confirmed: %+v", s)
	}
	if err := b.gn.Ack(b.ctx, claimFrom(t, b, b.gn, 10)); err != nil {
		t.Fatal(err)
	}
	if st := b.enqueue(t, old); st[0] != queue.Stale {
		t.Fatalf("older removal after both confirmed: %s, want stale", st[0])
	}
}

// Only queues an event for one destination (reconcile of that destination).
func testDestOnly(t *testing.T, b *destBundle) {
	n := "+14155550004"
	e := b.ev(n, 0)
	e.Only = "genesys"
	if st := b.enqueue(t, e); st[0] != queue.Created {
		t.Fatalf("status %s", st[0])
	}
	if s, _ := b.cx.Stats(b.ctx); s.Depth() != 0 {
		t.Fatalf("an event for genesys only was queued for cxone: %+v", s)
	}
	if s, _ := b.gn.Stats(b.ctx); s.Ready != 1 {
		t.Fatalf("genesys stats %+v", s)
	}
}

func testDestDeadInOne(t *testing.T, b *destBundle) {
	n := "+14155550005"
	b.enqueue(t, b.ev(n, 0))
	if err := b.cx.Ack(b.ctx, claimFrom(t, b, b.cx, 10)); err != nil {
		t.Fatal(err)
	}
	g := claimFrom(t, b, b.gn, 10)
	if err := b.gn.DeadLetter(b.ctx, g[0], "genesys 400 invalid number"); err != nil {
		t.Fatal(err)
	}
	ns := b.state(t, n)
	if ns.State != queue.StateDead || ns.Destinations["cxone"].State != queue.StateSynced ||
		ns.Destinations["genesys"].State != queue.StateDead {
		t.Fatalf("state %+v: want dead overall, synced at cxone", ns)
	}
	if s, _ := b.cx.Stats(b.ctx); s.Dead != 0 {
		t.Fatalf("cxone counts genesys's dead letter: %+v", s)
	}
	dl, err := b.gn.(queue.Operations).DeadLetters(b.ctx, 10)
	if err != nil || len(dl) != 1 {
		t.Fatalf("genesys dead letters %v %v", dl, err)
	}
	if dl, _ := b.cx.(queue.Operations).DeadLetters(b.ctx, 10); len(dl) != 0 {
		t.Fatalf("cxone dead letters %v", dl)
	}
	if got, err := b.gn.(queue.Operations).RedriveNumbers(b.ctx, []string{n}); err != nil || len(got) != 1 {
		t.Fatalf("redrive at genesys: %v %v", got, err)
	}
	if ns := b.state(t, n); ns.State != queue.StatePending || ns.Destinations["genesys"].State != queue.StatePending {
		t.Fatalf("after redrive %+v", ns)
	}
}

func testDestUnknown(t *testing.T, b *destBundle) {
	if _, err := b.s.(queue.Router).Dest("nope"); !errors.Is(err, queue.ErrNoDestination) {
		t.Fatalf("Dest(nope): %v, want ErrNoDestination", err)
	}
	e := b.ev("+14155550006", 0)
	e.Only = "nope"
	if _, err := b.s.Enqueue(b.ctx, []queue.Event{e}); err == nil {
		t.Fatal("an event for an unknown destination was accepted")
	}
}
