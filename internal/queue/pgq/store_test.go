package pgq_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dncsync/dncsync/internal/pgtest"
	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/pgq"
)

func conn(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// A database without the schema, or with a newer one, is refused, and the error names the command.
func TestOpenRefusesUnknownSchema(t *testing.T) {
	t.Parallel()
	url := pgtest.Schema(t)
	ctx := context.Background()
	_, err := pgq.Open(ctx, url, pgq.Options{})
	if !errors.Is(err, pgq.ErrSchema) || !strings.Contains(err.Error(), "dncsync migrate") {
		t.Fatalf("open of an empty database: %v, want a schema error naming dncsync migrate", err)
	}
	plan, err := pgq.Migrate(ctx, url, true)
	if err != nil || len(plan) != len(pgq.Migrations()) {
		t.Fatalf("dry run: %d steps, %v; want %d", len(plan), err, len(pgq.Migrations()))
	}
	if v, err := pgq.Version(ctx, url); err != nil || v != 0 {
		t.Fatalf("a dry run changed the schema: version %d, %v", v, err)
	}
	if done, err := pgq.Migrate(ctx, url, false); err != nil || len(done) != len(pgq.Migrations()) {
		t.Fatalf("migrate: %d, %v", len(done), err)
	}
	if done, err := pgq.Migrate(ctx, url, false); err != nil || len(done) != 0 {
		t.Fatalf("a second migrate applied %d, %v", len(done), err)
	}
	open(t, url, pgq.Options{})
	if _, err := conn(t, url).Exec(ctx, `INSERT INTO dncsync_migrations (version, name) VALUES ($1, 'future')`,
		pgq.SchemaVersion+1); err != nil {
		t.Fatal(err)
	}
	_, err = pgq.Open(ctx, url, pgq.Options{})
	if !errors.Is(err, pgq.ErrSchema) || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("open of a newer schema: %v", err)
	}
}

// Accepting an event is one transaction: its queue entries, the number's row, its audit record and
// its event-id key carry the same transaction id.
func TestAcceptIsOneTransaction(t *testing.T) {
	t.Parallel()
	url := migrated(t)
	s := open(t, url, pgq.Options{Destinations: []string{"cxone", "genesys"}})
	ctx := context.Background()
	ev := queuetestEvent("+14155550001", "evt-1")
	if _, err := s.Enqueue(ctx, []queue.Event{ev}); err != nil {
		t.Fatal(err)
	}
	rows, err := conn(t, url).Query(ctx, `SELECT xmin::text FROM queue UNION ALL SELECT xmin::text FROM numbers
		UNION ALL SELECT xmin::text FROM events UNION ALL SELECT xmin::text FROM event_ids`)
	if err != nil {
		t.Fatal(err)
	}
	xids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(xids) != 5 {
		t.Fatalf("rows %v, want two entries, a number, a record and an id", xids)
	}
	for _, x := range xids[1:] {
		if x != xids[0] {
			t.Fatalf("written by transactions %v, want one", xids)
		}
	}
}

func queuetestEvent(number, id string) queue.Event {
	now := time.Now().Add(-time.Minute)
	return queue.Event{ID: id, Number: number, Raw: number, Action: queue.Add, Source: "test", OccurredAt: now, ReceivedAt: now}
}

// Concurrent enqueues share transactions, and each caller still gets exactly its own answers.
func TestGroupCommit(t *testing.T) {
	t.Parallel()
	url := migrated(t)
	s := open(t, url, pgq.Options{})
	ctx := context.Background()
	const callers, each = 32, 10
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for c := range callers {
		wg.Go(func() {
			for i := range each {
				n := fmt.Sprintf("+1415555%04d", c*each+i)
				ev := queuetestEvent(n, "e"+n)
				st, err := s.Enqueue(ctx, []queue.Event{ev, ev}) // created, then a duplicate
				if err != nil || len(st) != 2 || st[0] != queue.Created || st[1] != queue.Duplicate {
					errs <- fmt.Errorf("%s: %v %v", n, st, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if st, _ := s.Stats(ctx); st.Ready != callers*each {
		t.Fatalf("%d entries ready, want %d", st.Ready, callers*each)
	}
	var txs int
	if err := conn(t, url).QueryRow(ctx, `SELECT count(DISTINCT xmin::text) FROM queue`).Scan(&txs); err != nil {
		t.Fatal(err)
	}
	if txs >= callers*each {
		t.Fatalf("%d enqueues took %d transactions: none shared", callers*each, txs)
	}
	t.Logf("%d enqueues in %d transactions", callers*each, txs)
}

// A new entry wakes the pushers of every process on the database (LISTEN/NOTIFY).
func TestListenWakes(t *testing.T) {
	t.Parallel()
	url := migrated(t)
	a := open(t, url, pgq.Options{Destinations: []string{"cxone", "genesys"}})
	b := open(t, url, pgq.Options{Destinations: []string{"cxone", "genesys"}}) // another replica
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	woke := make(chan string, 16)
	ready := make(chan struct{})
	go a.Listen(ctx, func(d string) { woke <- d })
	// Listen wakes every destination when it (re)connects: that first round says it listens.
	go func() {
		seen := map[string]bool{}
		for len(seen) < 2 {
			seen[<-woke] = true
		}
		close(ready)
	}()
	<-ready
	for {
		if _, err := b.Enqueue(ctx, []queue.Event{queuetestEvent("+14155550001", "")}); err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		timeout := time.After(2 * time.Second)
	wait:
		for len(got) < 2 {
			select {
			case d := <-woke:
				got[d] = true
			case <-timeout:
				break wait
			}
		}
		if got["cxone"] && got["genesys"] {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("no wake-up for both destinations: %v", got)
		}
		// LISTEN may not have been in place for the first enqueue; a merge wakes nothing, so
		// claim what is there and go again.
		for _, name := range []string{"cxone", "genesys"} {
			d, _ := b.Dest(name)
			items, _ := d.Claim(ctx, 10, time.Minute)
			d.Ack(ctx, items)
		}
	}
}

func TestDurabilityWarnings(t *testing.T) {
	t.Parallel()
	url := migrated(t)
	ctx := context.Background()
	if w := open(t, url, pgq.Options{}).DurabilityWarnings(ctx); len(w) != 0 {
		t.Fatalf("warnings for the default settings: %v", w)
	}
	// synchronous_commit can be set per connection: the store's connections run with it off.
	s := open(t, url+"&synchronous_commit=off", pgq.Options{})
	if w := s.DurabilityWarnings(ctx); len(w) != 1 || !strings.Contains(w[0], "synchronous_commit=off") {
		t.Fatalf("warnings %v, want synchronous_commit", w)
	}
}
