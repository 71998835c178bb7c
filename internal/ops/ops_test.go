package ops

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/boltq"
)

// deadStore is an embedded store of two destinations with n dead letters for the second.
func deadStore(t *testing.T, n int) (*Ops, queue.Store) {
	t.Helper()
	s, err := boltq.Open(filepath.Join(t.TempDir(), "q.db"), boltq.Options{Destinations: []string{"cxone", "genesys"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	now := time.Now()
	var evs []queue.Event
	for i := range n {
		num := fmt.Sprintf("+1415555%04d", i)
		evs = append(evs, queue.Event{Number: num, Raw: num, Action: queue.Add, OccurredAt: now, ReceivedAt: now})
	}
	if _, err := s.Enqueue(ctx, evs); err != nil {
		t.Fatal(err)
	}
	g, err := s.Dest("genesys")
	if err != nil {
		t.Fatal(err)
	}
	items, err := g.Claim(ctx, n, time.Minute)
	if err != nil || len(items) != n {
		t.Fatalf("claim %d of %d: %v", len(items), n, err)
	}
	for _, it := range items {
		if err := g.DeadLetter(ctx, it, "refused"); err != nil {
			t.Fatal(err)
		}
	}
	cx, _ := s.Dest("cxone")
	return &Ops{Store: s, Lanes: []Lane{{Name: "cxone", Store: cx}, {Name: "genesys", Store: g}}, DefaultRegion: "US"}, g
}

// RequeueDead with no bound re-queues every dead letter, past one store write's worth; a bound
// re-queues that many; an unknown destination names the configured ones.
func TestRequeueDeadAllOfThem(t *testing.T) {
	o, g := deadStore(t, RequeueChunk+5)
	ctx := context.Background()
	if n, err := o.RequeueDead(ctx, "genesys", 3); err != nil || n != 3 {
		t.Fatalf("bounded: %d %v", n, err)
	}
	if n, err := o.RequeueDead(ctx, "genesys", 0); err != nil || n != RequeueChunk+2 {
		t.Fatalf("all: %d %v, want %d", n, err, RequeueChunk+2)
	}
	if st, _ := g.Stats(ctx); st.Dead != 0 || st.Ready != RequeueChunk+5 {
		t.Fatalf("after: %+v", st)
	}
	if _, err := o.RequeueDead(ctx, "five9", 0); !errors.Is(err, queue.ErrNoDestination) ||
		!strings.Contains(err.Error(), "DNCSYNC_DESTINATIONS=cxone,genesys") {
		t.Fatalf("unknown destination: %v", err)
	}
}

// Retry and drop read numbers in any format; input that is not one, and a drop without a reason,
// are InputErrors saying what to change.
func TestNumbersAndReasons(t *testing.T) {
	o, _ := deadStore(t, 2)
	ctx := context.Background()
	a, err := o.RetryDead(ctx, "genesys", []string{"(415) 555-0000", "+14155552671"})
	if err != nil || len(a.Requeued) != 1 || a.Requeued[0] != "+14155550000" || len(a.NotDead) != 1 {
		t.Fatalf("retry: %+v %v", a, err)
	}
	var in *InputError
	if _, err := o.RetryDead(ctx, "genesys", []string{"12"}); !errors.As(err, &in) || !strings.Contains(in.Msg, `"12"`) {
		t.Fatalf("a number that is not one: %v", err)
	}
	if _, err := o.DropDead(ctx, "genesys", []string{"+14155550001"}, " "); !errors.As(err, &in) {
		t.Fatalf("a drop without a reason: %v", err)
	}
	if a, err := o.DropDead(ctx, "genesys", []string{"+14155550001"}, "consent on file"); err != nil || len(a.Dropped) != 1 {
		t.Fatalf("drop: %+v %v", a, err)
	}
	st, err := o.Status(ctx, "")
	if err != nil || len(st.Destinations) != 2 || st.Destinations["genesys"].Depth != 1 {
		t.Fatalf("status: %+v %v", st, err)
	}
}
