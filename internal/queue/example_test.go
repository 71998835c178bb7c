package queue_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/boltq"
)

// An opt-out's life in the store, on the embedded one (boltq; redisq keeps the same contract):
// intake enqueues the event, a pusher claims it under a lease, pushes it, and acks it once the
// destination confirmed. Each call that returns nil has made its change durable.
func Example() {
	dir, err := os.MkdirTemp("", "queue-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	store, err := boltq.Open(filepath.Join(dir, "dncsync.db"), boltq.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()

	// Intake: two requests for one number fold into one entry; a repeated event id changes nothing.
	now := time.Now()
	ev := queue.Event{ID: "evt-1", Number: "+14155552671", Raw: "(415) 555-2671", Action: queue.Add,
		Source: "web", OccurredAt: now, ReceivedAt: now}
	again := ev
	again.ID = "evt-2"
	statuses, err := store.Enqueue(ctx, []queue.Event{ev, again, ev})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("enqueued:", statuses)

	// The pusher: claim what is due, under a lease that expires if this process dies.
	items, err := store.Claim(ctx, 100, time.Minute)
	if err != nil {
		log.Fatal(err)
	}
	for _, it := range items {
		fmt.Println("claimed:", it.Number, it.Action, "from", it.Events, "events")
	}
	st, _ := store.Stats(ctx)
	fmt.Println("leased:", st.Leased)

	// The destination confirmed: ack, and the entry is gone with its confirmation recorded.
	if err := store.Ack(ctx, items); err != nil {
		log.Fatal(err)
	}
	st, _ = store.Stats(ctx)
	fmt.Println("depth after ack:", st.Depth())
	// Output:
	// enqueued: [created merged duplicate]
	// claimed: +14155552671 add from 2 events
	// leased: 1
	// depth after ack: 0
}
