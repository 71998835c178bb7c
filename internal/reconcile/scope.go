package reconcile

import (
	"context"
	"fmt"

	"github.com/dncsync/dncsync/internal/consent"
	"github.com/dncsync/dncsync/internal/queue"
)

// A re-queued add re-asserts an opt-out a destination confirmed, and is recorded in the number's
// trail as a request of its own: without a scope it would read as every channel (an event without
// one is "all"), and a voice-only opt-out that a list lost would come back blocking texts too.
// scopeRequeued gives each event of evs the scope and policy of the opt-out it re-asserts: the
// accepted opt-out in the trail that occurred when the confirmed add did (ev.OccurredAt). Several
// such opt-outs of different scopes give the one that includes the others, else every scope; none
// found (a trail trimmed) leaves the event without a scope: every channel. Where it is unclear, the
// wider scope keeps the person from being contacted. The policy is revoke-all if any was.
// A store that cannot read trails (none of dncsync's) leaves every event without a scope.
func scopeRequeued(ctx context.Context, s Store, evs []queue.Event) error {
	tr, ok := s.(Trails)
	if !ok {
		return nil
	}
	numbers := make([]string, len(evs))
	for i, ev := range evs {
		numbers[i] = ev.Number
	}
	hs, err := tr.Histories(ctx, numbers)
	if err != nil {
		return fmt.Errorf("read the trails of the numbers to re-queue: %w", err)
	}
	for i := range evs {
		ev := &evs[i]
		var found []consent.Event
		for _, rec := range hs[ev.Number].Records {
			if e, ok := consent.FromRecord(rec); ok && e.Action == queue.Add && e.OccurredAt.Equal(ev.OccurredAt) {
				found = append(found, e)
			}
		}
		if len(found) == 0 {
			continue
		}
		sc, policy := widest(found)
		ev.ConsentChannel, ev.Purpose, ev.Scope, ev.Policy = string(sc.Channel), sc.Purpose, sc.Brand, string(policy)
	}
	return nil
}

// widest is the scope of evs that includes all the others (else every scope), and revoke-all if
// any of evs was received under it.
func widest(evs []consent.Event) (consent.Scope, consent.Decided) {
	policy := evs[0].Policy
	best := evs[0].Scope
	for _, e := range evs[1:] {
		if e.Policy == consent.RevokeAll {
			policy = consent.RevokeAll
		}
		if e.Scope.Includes(best) {
			best = e.Scope
		}
	}
	for _, e := range evs {
		if !best.Includes(e.Scope) {
			best = consent.Everything
		}
	}
	return best, policy
}
