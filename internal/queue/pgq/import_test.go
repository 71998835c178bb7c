package pgq_test

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/pgq"
)

// EnqueueImport leaves what Enqueue leaves: the same statuses, states and trails, for numbers new
// and known, repeated in the batch, for one destination only, with and without event ids; and a
// rerun of the same batch records every event with an id as a duplicate.
func TestEnqueueImportIsEnqueue(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	at := time.Date(2026, 3, 4, 5, 6, 7, 8e6, time.UTC)
	clock := func() time.Time { return at.Add(time.Hour) }
	opts := pgq.Options{Destinations: []string{"cxone", "genesys"}, Now: clock}
	ev := func(n, id string, a queue.Action, occ int) queue.Event {
		return queue.Event{ID: id, Number: n, Raw: "raw " + n, Action: a, Source: "crm\\x", Channel: "web",
			Reason: "asked", Purpose: "marketing", OccurredAt: at.Add(time.Duration(occ) * time.Minute), ReceivedAt: at}
	}
	known := []queue.Event{ev("+14155550010", "k1", queue.Add, 0)}
	only := ev("+14155550013", "o1", queue.Add, 0)
	only.Only = "genesys"
	batch := []queue.Event{
		ev("+14155550011", "a1", queue.Add, 0),
		ev("+14155550010", "k2", queue.Remove, 5), // known before
		ev("+14155550012", "r1", queue.Add, 0),
		ev("+14155550012", "r2", queue.Remove, 1), // repeated in the batch
		only,
		ev("+14155550014", "", queue.Add, 0), // no event id
		routed("+14155550015", ev, "genesys"),
		routed("+14155550016", ev), // routed by scope to no destination: stale
	}
	numbers := []string{"+14155550010", "+14155550011", "+14155550012", "+14155550013", "+14155550014",
		"+14155550015", "+14155550016"}
	type state struct {
		st   []queue.EnqueueStatus
		hist map[string]queue.History
	}
	run := func(importer bool) (state, *pgq.Store) {
		s := open(t, migrated(t), opts)
		if _, err := s.Enqueue(ctx, known); err != nil {
			t.Fatal(err)
		}
		var got state
		var err error
		if importer {
			got.st, err = s.EnqueueImport(ctx, batch)
		} else {
			got.st, err = s.Enqueue(ctx, batch)
		}
		if err != nil {
			t.Fatal(err)
		}
		got.hist = map[string]queue.History{}
		for _, n := range numbers {
			h, found, err := s.Lookup(ctx, n, queue.Page{})
			if err != nil || !found {
				t.Fatalf("lookup %s: %v %v", n, found, err)
			}
			got.hist[n] = h
		}
		return got, s
	}
	want, _ := run(false)
	got, s := run(true)
	if !slices.Equal(got.st, want.st) {
		t.Errorf("statuses: import %v, enqueue %v", got.st, want.st)
	}
	if want.st[0] != queue.Created || len(want.hist["+14155550012"].Records) != 2 || want.st[7] != queue.Stale {
		t.Fatalf("precondition: enqueue gave %v, %+v", want.st, want.hist["+14155550012"])
	}
	for _, n := range numbers {
		g, w := got.hist[n], want.hist[n]
		if len(g.Records) != len(w.Records) {
			t.Errorf("%s: import %d records, enqueue %d", n, len(g.Records), len(w.Records))
			continue
		}
		for i := range g.Records {
			if g.Records[i] != w.Records[i] {
				t.Errorf("%s record %d: import %+v, enqueue %+v", n, i, g.Records[i], w.Records[i])
			}
		}
		if g.State.State != w.State.State || !maps.Equal(g.State.Destinations, w.State.Destinations) ||
			!g.State.FirstRequestedAt.Equal(w.State.FirstRequestedAt) || !g.State.LastEventAt.Equal(w.State.LastEventAt) {
			t.Errorf("%s: state import %+v, enqueue %+v", n, g.State, w.State)
		}
	}
	for _, d := range []string{"cxone", "genesys"} {
		q, _ := s.Dest(d)
		st, err := q.Stats(ctx)
		wantReady := int64(4) // 10, 11, 12, 14 (13 and 15 are genesys's only, 16 no one's)
		if d == "genesys" {
			wantReady = 6
		}
		if err != nil || st.Ready != wantReady {
			t.Errorf("%s after the import: %+v %v, want %d ready", d, st, err, wantReady)
		}
	}
	again, err := s.EnqueueImport(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	for i, st := range again {
		if batch[i].ID != "" && st != queue.Duplicate {
			t.Errorf("rerun, event %d (%s): %v, want duplicate", i, batch[i].ID, st)
		}
	}
}

// routed is an opt-out for n routed by scope (queue.Event.Lanes) to lanes.
func routed(n string, ev func(n, id string, a queue.Action, occ int) queue.Event, lanes ...string) queue.Event {
	e := ev(n, "l"+n, queue.Add, 0)
	e.Lanes = append([]string{}, lanes...)
	return e
}
