// Package reconcile compares what a destination's list holds with what dncsync believes it synced
// there, and re-queues what the list lacks. It never removes a number CXone has and dncsync does not expect:
// when unsure, a number stays on the list; those are reported.
package reconcile

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/queue"
)

// Lister reads every number currently on a destination's list (destination.Lister).
type Lister interface {
	List(ctx context.Context, fn func(destination.Listed) error) error
}

// Store is what reconcile reads and writes: the numbers' states, and the queue it re-queues into.
// Every store also reads trails (Trails), for the scope of what a run re-asserts.
type Store interface {
	States(ctx context.Context, fn func(queue.NumberState) error) error
	Enqueue(ctx context.Context, events []queue.Event) ([]queue.EnqueueStatus, error)
}

// Trails is a store that reads the whole trails of numbers (every queue.Store does).
type Trails interface {
	Histories(ctx context.Context, numbers []string) (map[string]queue.History, error)
}

// Report is what a run found and did.
type Report struct {
	OnCXone        int      `json:"onCXone"`
	Synced         int      `json:"synced"`  // numbers dncsync believes are on the list
	Missing        []string `json:"missing"` // synced by dncsync, absent on CXone
	Requeued       int      `json:"requeued"`
	RemovedButOn   []string `json:"removedButListed"` // dncsync removed them; CXone still lists them
	UnknownOnCXone int      `json:"unknownOnCXone"`   // on CXone, never seen by dncsync (added elsewhere)
	DryRun         bool     `json:"dryRun"`
}

// Run reconciles the only destination. With dryRun it only reports.
func Run(ctx context.Context, l Lister, s Store, dryRun bool, now time.Time) (Report, error) {
	return RunFor(ctx, l, s, "", dryRun, now)
}

// RunFor reconciles destination dest of several (its list is l's): what dest confirmed and lacks
// is queued again for dest only (queue.Event.Only), and so is a number another destination
// confirmed on its list that dest never had (a destination added after the number was synced).
// dest "": the only destination.
func RunFor(ctx context.Context, l Lister, s Store, dest string, dryRun bool, now time.Time) (Report, error) {
	var on []string
	if err := l.List(ctx, func(n destination.Listed) error { on = append(on, n.Number); return nil }); err != nil {
		return Report{}, fmt.Errorf("read the destination's list: %w", err)
	}
	listed := make(map[string]bool, len(on))
	for _, n := range on {
		listed[n] = true
	}
	r := Report{OnCXone: len(on), DryRun: dryRun}
	known := map[string]bool{}
	var requeue []queue.Event
	err := s.States(ctx, func(st queue.NumberState) error {
		if known[st.Number] {
			return nil // a Redis SCAN may return a key twice
		}
		known[st.Number] = true
		ds, ok := st.For(dest)
		if !ok {
			// Never queued for dest: if another destination holds it on its list, dest should too.
			if o, found := syncedElsewhere(st, now); found && !listed[st.Number] {
				r.Missing = append(r.Missing, st.Number)
				requeue = append(requeue, queue.Event{Number: st.Number, Raw: st.Number, Action: queue.Add,
					Source: "reconcile", Reason: "on another destination's list, never sent to this one",
					OccurredAt: o.ConfirmedOccur, ExpiresAt: o.ConfirmedExpires, ReceivedAt: now, Only: dest})
			}
			return nil
		}
		// A confirmed add past its confirmed expiry reads StateExpired: CXone rightly no longer
		// blocks it, so it is not missing.
		switch {
		case ds.ConfirmedAction == queue.Add && ds.State == queue.StateSynced:
			r.Synced++
			if !listed[st.Number] {
				r.Missing = append(r.Missing, st.Number)
				// The same entry again, with the expiry CXone was told: a resync restores what was
				// confirmed, never a longer or a shorter block.
				requeue = append(requeue, queue.Event{Number: st.Number, Raw: st.Number, Action: queue.Add,
					Source: "reconcile", Reason: "missing on the list at reconcile", OccurredAt: ds.ConfirmedOccur,
					ExpiresAt: ds.ConfirmedExpires, ReceivedAt: now, Resync: true, Only: dest})
			}
		case ds.ConfirmedAction == queue.Remove && ds.State == queue.StateRemoved && listed[st.Number]:
			r.RemovedButOn = append(r.RemovedButOn, st.Number)
		}
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("read dncsync's states: %w", err)
	}
	for _, n := range on {
		if !known[n] {
			r.UnknownOnCXone++
		}
	}
	sort.Strings(r.Missing)
	sort.Strings(r.RemovedButOn)
	if dryRun {
		return r, nil
	}
	for i := 0; i < len(requeue); i += 500 {
		chunk := requeue[i:min(i+500, len(requeue))]
		if err := scopeRequeued(ctx, s, chunk); err != nil {
			return r, err
		}
		if _, err := s.Enqueue(ctx, chunk); err != nil {
			return r, fmt.Errorf("re-queue: %w", err)
		}
		r.Requeued += len(chunk)
	}
	return r, nil
}

// syncedElsewhere finds a destination that has the number on its list now (a confirmed add, not
// expired).
func syncedElsewhere(st queue.NumberState, now time.Time) (queue.DestState, bool) {
	for _, d := range st.Destinations {
		if d = d.At(now); d.ConfirmedAction == queue.Add && d.State == queue.StateSynced {
			return d, true
		}
	}
	return queue.DestState{}, false
}
