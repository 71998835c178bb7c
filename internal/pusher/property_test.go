package pusher_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/dncsync/dncsync/internal/cxone"
	"github.com/dncsync/dncsync/internal/cxone/cxonesim"
	"github.com/dncsync/dncsync/internal/genesys"
	"github.com/dncsync/dncsync/internal/genesys/genesyssim"
	"github.com/dncsync/dncsync/internal/pusher"
	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/boltq"
	"github.com/dncsync/dncsync/internal/queue/redisq"
	"github.com/dncsync/dncsync/internal/redistest"
	"github.com/dncsync/dncsync/internal/simfault"
)

// TestOrderingProperty: whatever order add and remove events for a few numbers arrive in, with
// repeats, split over deliveries while the pusher runs against a faulty CXone, the final list is
// the model's: per number the latest occurredAt wins, and add wins a tie.
//
// With two destinations (CXone and Genesys Cloud, faults on both), each list ends as the model's.
func TestOrderingProperty(t *testing.T) {
	srv := redistest.Start(t)
	stores := map[string]func(rt *rapid.T, i int, dests []string) queue.Queue{
		"embedded": func(rt *rapid.T, i int, dests []string) queue.Queue {
			dir, err := os.MkdirTemp("", "dncsync-prop-")
			if err != nil {
				rt.Fatal(err)
			}
			s, err := boltq.Open(filepath.Join(dir, "q.db"), boltq.Options{Destinations: dests})
			if err != nil {
				rt.Fatal(err)
			}
			rt.Cleanup(func() { s.Close(); os.RemoveAll(dir) })
			return s
		},
		"redis": func(rt *rapid.T, i int, dests []string) queue.Queue {
			s, err := redisq.Open(srv.URL(), redisq.Options{Namespace: fmt.Sprintf("prop%d-%d", len(dests), i),
				Destinations: dests})
			if err != nil {
				rt.Fatal(err)
			}
			rt.Cleanup(func() { s.Close() })
			return s
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			iter := 0
			rapid.Check(t, func(rt *rapid.T) {
				iter++
				checkOrdering(rt, open(rt, iter, nil), false)
			})
		})
		t.Run(name+"/two-destinations", func(t *testing.T) {
			iter := 0
			rapid.Check(t, func(rt *rapid.T) {
				iter++
				checkOrdering(rt, open(rt, iter, []string{"cxone", "genesys"}), true)
			})
		})
	}
}

type propEvent struct {
	number string
	action queue.Action
	occ    int // ms after base
}

func checkOrdering(rt *rapid.T, store queue.Queue, twoDests bool) {
	numbersPool := []string{"+14155550001", "+14155550002", "+442079460958"}
	events := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) propEvent {
		return propEvent{
			number: rapid.SampledFrom(numbersPool).Draw(t, "number"),
			action: rapid.SampledFrom([]queue.Action{queue.Add, queue.Remove}).Draw(t, "action"),
			occ:    rapid.IntRange(0, 5).Draw(t, "occ"),
		}
	}), 1, 14).Draw(rt, "events")
	// Deliveries: a random order with repeats, cut into chunks.
	order := rapid.SliceOfN(rapid.IntRange(0, len(events)-1), len(events), 2*len(events)).Draw(rt, "order")
	perm := rapid.Permutation(seq(len(events))).Draw(rt, "perm")
	order = append(perm, order...) // every event at least once
	chunk := rapid.IntRange(1, 4).Draw(rt, "chunk")

	sim := cxonesim.New(cxonesim.Config{ClientID: "id", ClientSecret: "secret", ListID: "list", RatePerMinute: -1, Seed: 3})
	sim.SetFaults(cxonesim.Faults{LostAfterApply: 0.15, ServerError: 0.1})
	url, stop := sim.Start()
	defer stop()
	pacer := pusher.NewPacer(600000)
	client := cxone.NewV2(cxone.V2Config{BaseURL: url, ClientID: "id", ClientSecret: "secret", ListID: "list",
		Pacer: pacer, Timeout: 2 * time.Second})
	pcfg := pusher.Config{BatchSize: 3, Linger: time.Millisecond,
		Lease: 30 * time.Second, MaxAttempts: 1000, Backoff: func(int) time.Duration { return 5 * time.Millisecond },
		IdleCheck: 10 * time.Millisecond, ConfigWait: 10 * time.Millisecond, OutageMax: 20 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pctx, stopPusher := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { stopPusher(); wg.Wait() }()
	// One queue per destination, each drained by its own pusher; an enqueue wakes both.
	queues := []queue.Queue{store}
	var gsim *genesyssim.Server
	sigs := []*queue.Signal{queue.NewSignal()}
	if twoDests {
		r := store.(queue.Router)
		cxq, err := r.Dest("cxone")
		if err != nil {
			rt.Fatal(err)
		}
		gq, err := r.Dest("genesys")
		if err != nil {
			rt.Fatal(err)
		}
		queues = []queue.Queue{cxq, gq}
		sigs = append(sigs, queue.NewSignal())
		gsim = genesyssim.New(genesyssim.Config{RatePerMinute: -1, Seed: 5})
		gsim.SetFaults(simfault.Faults{LostAfterApply: 0.15, ServerError: 0.1})
		gh, gstop := gsim.StartHosts()
		defer gstop()
		gc := gsim.Config()
		gpacer := pusher.NewPacer(600000)
		gclient := genesys.New(genesys.Config{LoginURL: gh.Login, APIURL: gh.API, ClientID: gc.ClientID,
			ClientSecret: gc.ClientSecret, DNCListID: gc.DNCListID, Pacer: gpacer, Timeout: 2 * time.Second})
		gp := pusher.New(gq, gclient, gpacer, sigs[1].C(), pcfg)
		wg.Go(func() { gp.Run(pctx) })
	}
	q := queue.Signaling(store, sigs...)
	p := pusher.New(queues[0], client, pacer, sigs[0].C(), pcfg)
	wg.Go(func() { p.Run(pctx) })

	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	for i := 0; i < len(order); i += chunk {
		var batch []queue.Event
		for _, k := range order[i:min(i+chunk, len(order))] {
			e := events[k]
			at := base.Add(time.Duration(e.occ) * time.Millisecond)
			batch = append(batch, queue.Event{Number: e.number, Raw: e.number, Action: e.action,
				OccurredAt: at, ReceivedAt: time.Now().Truncate(time.Millisecond)})
		}
		if _, err := q.Enqueue(ctx, batch); err != nil {
			rt.Fatal(err)
		}
		// A pause of 0-3 ms drawn by rapid: the interleaving of enqueues and batches in flight is
		// what the property explores, so it is real time, on purpose.
		time.Sleep(time.Duration(rapid.IntRange(0, 3).Draw(rt, "pause")) * time.Millisecond)
	}
	want := model(events)
	for _, dq := range queues {
		for {
			st, err := dq.Stats(ctx)
			if err != nil {
				rt.Fatal(err)
			}
			if st.Depth() == 0 {
				break
			}
			select {
			case <-ctx.Done():
				rt.Fatalf("not drained: %+v", st)
			case <-time.After(5 * time.Millisecond): // polling the store's count
			}
		}
	}
	for _, n := range numbersPool {
		if gsim != nil && gsim.Has(n) != want[n] {
			rt.Fatalf("%s on the Genesys list: %v, want %v (events %+v, delivery %v)", n, gsim.Has(n), want[n], events, order)
		}
		if got := sim.Has(n); got != want[n] {
			trail := ""
			if ev, ok := store.(queue.Evidence); ok {
				h, _, _ := ev.Lookup(ctx, n, queue.Page{Limit: queue.MaxPageLimit})
				st, recs := h.State, h.Records
				trail = fmt.Sprintf("state %+v", st)
				for _, r := range recs {
					trail += fmt.Sprintf("\n  %s %s occ=%v %s", r.Kind, r.Action, r.OccurredAt.Sub(base), r.Detail)
				}
			}
			rt.Fatalf("%s on the list: %v, want %v (events %+v, delivery %v)\n%s", n, got, want[n], events, order, trail)
		}
	}
}

// model: per number, the latest occurredAt decides; add wins a tie; never mentioned: not listed.
func model(events []propEvent) map[string]bool {
	type win struct {
		occ    int
		action queue.Action
	}
	best := map[string]win{}
	for _, e := range events {
		w, ok := best[e.number]
		if !ok || e.occ > w.occ || (e.occ == w.occ && e.action == queue.Add) {
			best[e.number] = win{e.occ, e.action}
		}
	}
	out := map[string]bool{}
	for n, w := range best {
		out[n] = w.action == queue.Add
	}
	return out
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}
