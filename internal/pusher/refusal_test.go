package pusher_test

import (
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/cxone/cxonesim"
	"github.com/dncsync/dncsync/internal/queue"
)

// held is a waitStats condition that fails at once when anything was dead-lettered.
func held(t *testing.T, ok func(queue.Stats) bool) func(queue.Stats) bool {
	return func(st queue.Stats) bool {
		if st.Dead != 0 {
			t.Fatalf("dead-lettered while it should be held: %+v", st)
		}
		return ok(st)
	}
}

// waitStats polls the queue until ok holds, or fails the test naming what it waited for.
func (b *testBundle) waitStats(t *testing.T, what string, ok func(queue.Stats) bool) queue.Stats {
	t.Helper()
	for {
		st, err := b.q.Stats(b.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ok(st) {
			return st
		}
		select {
		case <-b.ctx.Done():
			t.Fatalf("waiting for %s: %+v; simulator %+v", what, st, b.sim.Stats())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// A batch of one number that CXone refuses whole (400), while it accepts nothing else, is the
// request's fault as likely as the number's: it waits without being dead-lettered or spending
// attempts, however often it is refused, and is listed once CXone takes it.
func TestOneNumberRefusedWholeIsHeld(t *testing.T) {
	b := setup(t, opts{})
	b.cfg.MaxAttempts = 1 // a counted failure would dead-letter at once
	b.sim.SetRefuse(func(string) bool { return true })
	b.enqueue(t, queue.Add, "+14155550100")
	b.start(t)
	b.waitStats(t, "several refusals", held(t, func(queue.Stats) bool {
		return b.sim.Stats().Requests[cxonesim.KindV2Add][400] >= 5
	}))
	if st, err := b.q.Stats(b.ctx); err != nil || st.Dead != 0 || st.Depth() != 1 {
		t.Fatalf("a refusal CXone did not explain dead-lettered the number: %+v %v", st, err)
	}
	b.sim.SetRefuse(nil) // the tenant takes the request again (say, an API version restored)
	if st := b.drained(t); st.Dead != 0 {
		t.Fatalf("dead letters %d", st.Dead)
	}
	wantList(t, b.sim, []string{"+14155550100"})
}

// Removes are attributed on their own: adds getting through says nothing of a remove CXone refuses.
func TestRefusedRemoveHeldWhileAddsSucceed(t *testing.T) {
	b := setup(t, opts{})
	b.cfg.BatchSize = 1
	b.sim.Seed("+14155550100")
	b.sim.SetRefuse(func(n string) bool { return n == "+14155550100" })
	b.enqueue(t, queue.Remove, "+14155550100")
	b.start(t)
	b.waitStats(t, "the remove refused", held(t, func(queue.Stats) bool {
		return b.sim.Stats().Requests[cxonesim.KindV2Remove][400] >= 2
	}))
	adds := nums(5, 200)
	b.enqueue(t, queue.Add, adds...)
	b.waitStats(t, "the adds synced", held(t, func(st queue.Stats) bool { return st.Depth() == 1 }))
	b.waitStats(t, "more refusals of the remove", held(t, func(queue.Stats) bool {
		return b.sim.Stats().Requests[cxonesim.KindV2Remove][400] >= 5
	}))
	if st, _ := b.q.Stats(b.ctx); st.Dead != 0 {
		t.Fatalf("successful adds made a refused remove the number's fault: %+v", st)
	}
}
