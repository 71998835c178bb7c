package queuetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// testRulesMatchWins holds every store's merge and stale rules equal to queue.Wins, the one
// written in Go (the Redis store writes it again in Lua): for every pair of events over a grid of
// occurredAt ties and orders and both actions, the entry's action after both is Wins's winner, and
// an event after the first was confirmed is stale exactly when it does not win.
func testRulesMatchWins(t *testing.T, b *testBundle) {
	type ev struct {
		occ int
		a   queue.Action
	}
	var grid []ev
	for _, occ := range []int{0, 1, 2} {
		for _, a := range []queue.Action{queue.Add, queue.Remove} {
			grid = append(grid, ev{occ, a})
		}
	}
	at := func(ms int) time.Time { return b.base.Add(time.Duration(ms) * time.Millisecond) }
	n := 0
	for _, first := range grid {
		for _, second := range grid {
			n++
			merged, confirmed := fmt.Sprintf("+1415555%04d", 2*n), fmt.Sprintf("+1415555%04d", 2*n+1)
			mk := func(number string, e ev) queue.Event {
				x := b.ev(number, 0)
				x.Action, x.OccurredAt = e.a, at(e.occ)
				return x
			}
			wins := queue.Wins(at(second.occ), second.a, at(first.occ), first.a)
			// Merge: both queued before any push.
			b.enqueue(t, mk(merged, first), mk(merged, second))
			// Stale: the second arrives after the first was confirmed.
			b.enqueue(t, mk(confirmed, first))
			items := b.claim(t, 10)
			if err := b.q.Ack(b.ctx, items); err != nil {
				t.Fatal(err)
			}
			var got queue.Action
			for _, it := range items {
				if it.Number == merged {
					got = it.Action
				}
			}
			want := first.a
			if wins {
				want = second.a
			}
			if got != want {
				t.Fatalf("%v then %v merged to %s; queue.Wins says %s", first, second, got, want)
			}
			// Queued again only if it wins. (Seen through the queue, not the status: in a store of
			// several destinations the status sums up all of them.)
			b.enqueue(t, mk(confirmed, second))
			rest := b.claim(t, 10)
			if queued := len(rest) == 1 && rest[0].Number == confirmed; queued != wins || len(rest) > 1 {
				t.Fatalf("%v confirmed, then %v: queued again %v (claimed %v); queue.Wins says wins=%v",
					first, second, queued, numbers(rest), wins)
			}
			if err := b.q.Ack(b.ctx, rest); err != nil {
				t.Fatal(err)
			}
		}
	}
}
