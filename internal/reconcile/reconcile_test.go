package reconcile_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/boltq"
	"github.com/dncsync/dncsync/internal/reconcile"
)

// group is CXone's DNC group as the admin client lists it: the vendor edge, faked.
type group []string

func (g group) List(_ context.Context, fn func(destination.Listed) error) error {
	for _, n := range g {
		if err := fn(destination.Listed{Number: n}); err != nil {
			return err
		}
	}
	return nil
}

func TestReconcile(t *testing.T) {
	ctx := context.Background()
	s, err := boltq.Open(filepath.Join(t.TempDir(), "q.db"), boltq.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	ev := func(n string, a queue.Action) queue.Event {
		return queue.Event{Number: n, Raw: n, Action: a, OccurredAt: at, ReceivedAt: at}
	}
	// Synced: 1, 2 (until next year), 3 added; 4 removed; 6 added until an hour ago (expired).
	// Pending: 5.
	if _, err := s.Enqueue(ctx, []queue.Event{ev("+14155550001", queue.Add), ev("+14155550002", queue.Add),
		ev("+14155550003", queue.Add), ev("+14155550004", queue.Remove), ev("+14155550006", queue.Add)}); err != nil {
		t.Fatal(err)
	}
	items, _ := s.Claim(ctx, 10, time.Minute)
	until := time.Now().AddDate(1, 0, 0).Truncate(time.Second)
	for i := range items {
		switch items[i].Number {
		case "+14155550002":
			items[i].ExpiresAt = until // what CXone was told
		case "+14155550006":
			items[i].ExpiresAt = at
		}
	}
	if err := s.Ack(ctx, items); err != nil {
		t.Fatal(err)
	}
	s.Enqueue(ctx, []queue.Event{ev("+14155550005", queue.Add)})
	// CXone lost 2 and 3 (and rightly dropped the expired 6), still lists the removed 4, and has 9
	// that dncsync never saw.
	cx := group{"+14155550001", "+14155550004", "+14155550009"}

	dry, err := reconcile.Run(ctx, cx, s, true, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	want := `{3 3 [+14155550002 +14155550003] 0 [+14155550004] 1 true}`
	if got := fmt.Sprint(dry); got != want {
		t.Fatalf("dry run %s, want %s", got, want)
	}
	if st, _ := s.Stats(ctx); st.Ready != 1 {
		t.Fatalf("a dry run queued something: %+v", st)
	}
	rep, err := reconcile.Run(ctx, cx, s, false, time.Now())
	if err != nil || rep.Requeued != 2 {
		t.Fatalf("run: %+v %v", rep, err)
	}
	got, _ := s.Claim(ctx, 10, time.Minute)
	queued := map[string]queue.Item{}
	for _, it := range got {
		queued[it.Number] = it
	}
	if len(queued) != 3 || queued["+14155550002"].Source != "reconcile" || queued["+14155550003"].Action != queue.Add {
		t.Fatalf("queued %+v, want 2 and 3 re-queued as adds beside the pending 5", queued)
	}
	if e := queued["+14155550002"].ExpiresAt; !e.Equal(until) {
		t.Fatalf("re-queued with expiry %v, want the confirmed %v", e, until)
	}
}
