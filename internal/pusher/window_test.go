package pusher_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/cxone"
	"github.com/dncsync/dncsync/internal/pusher"
	"github.com/dncsync/dncsync/internal/queue"
)

// windowed is a client whose window a test opens; it counts the pusher's reads of it and its
// requests.
type windowed struct {
	cxone.Client
	open     atomic.Bool
	reads    atomic.Int64
	requests atomic.Int64
}

func (w *windowed) Window(time.Time) (bool, time.Time) {
	w.reads.Add(1)
	return w.open.Load(), time.Now().Add(time.Hour)
}

func (w *windowed) Add(ctx context.Context, cs []cxone.Contact) []error {
	w.requests.Add(1)
	return w.Client.Add(ctx, cs)
}

// TestClosedWindowHoldsTheQueue: outside its destination's window the lane claims nothing, sends
// nothing and spends no attempt, however long it waits; once the window opens it drains.
func TestClosedWindowHoldsTheQueue(t *testing.T) {
	b := setup(t, opts{})
	b.cfg.MaxAttempts = 1 // any counted failure would dead-letter
	w := &windowed{Client: b.client}
	all := nums(30, 0)
	b.enqueue(t, queue.Add, all...)
	startWith(t, b, w)
	// The pusher read the closed window again and again (every IdleCheck): it has been holding.
	for w.reads.Load() < 5 {
		select {
		case <-b.ctx.Done():
			t.Fatalf("the window was read %d times", w.reads.Load())
		case <-time.After(10 * time.Millisecond):
		}
	}
	st, err := b.q.Stats(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Ready != int64(len(all)) || st.Leased != 0 || st.Dead != 0 || w.requests.Load() != 0 || len(b.sim.List()) != 0 {
		t.Fatalf("closed window: %+v, %d requests, list %d: want every number ready, none claimed or sent",
			st, w.requests.Load(), len(b.sim.List()))
	}
	w.open.Store(true)
	if st := b.drained(t); st.Dead != 0 {
		t.Fatalf("the wait spent attempts: %d dead", st.Dead)
	}
	wantList(t, b.sim, all)
}

// startWith runs a pusher of b's queue into c until the test ends.
func startWith(t *testing.T, b *testBundle, c cxone.Client) {
	t.Helper()
	p := pusher.New(b.q, c, b.pacer, b.sig.C(), b.cfg)
	ctx, cancel := context.WithCancel(b.ctx)
	var wg sync.WaitGroup
	wg.Go(func() { p.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
}
