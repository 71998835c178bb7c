package pgq_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/pgq"
)

func benchEvent(n int, now time.Time) queue.Event {
	num := fmt.Sprintf("+1%03d555%04d", 201+n/10000%700, n%10000)
	return queue.Event{ID: "evt-" + strconv.Itoa(n), Number: num, Raw: num, Action: queue.Add, Source: "crm",
		Channel: "web", Reason: "asked", OccurredAt: now, ReceivedAt: now}
}

// BenchmarkEnqueue measures accepted events a second through the store: batches of 100 from one
// caller (an import), and single events from 64 concurrent callers (webhooks), which group commit
// gathers into shared transactions. Every number is new, with an event id, for two destinations.
func BenchmarkEnqueue(b *testing.B) {
	for _, tc := range []struct {
		name           string
		callers, batch int
	}{{"batch100", 1, 100}, {"single-c64", 64, 1}} {
		b.Run(tc.name, func(b *testing.B) {
			s := open(b, migrated(b), pgq.Options{Destinations: []string{"cxone", "genesys"}})
			ctx := context.Background()
			now := time.Now()
			var next atomic.Int64
			b.ResetTimer()
			var wg sync.WaitGroup
			var calls atomic.Int64
			calls.Store(int64(b.N))
			for range tc.callers {
				wg.Go(func() {
					evs := make([]queue.Event, tc.batch)
					for calls.Add(-1) >= 0 {
						for i := range evs {
							evs[i] = benchEvent(int(next.Add(1)), now)
						}
						if _, err := s.Enqueue(ctx, evs); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(next.Load())/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkBytesPerNumber reports what the database holds per number with full evidence: one add
// and its confirmation by each of two destinations (pg_total_relation_size of every table, indexes
// and TOAST included, after VACUUM), for b.N * 1000 numbers.
func BenchmarkBytesPerNumber(b *testing.B) {
	url := migrated(b)
	s := open(b, url, pgq.Options{Destinations: []string{"cxone", "genesys"}})
	ctx := context.Background()
	now := time.Now().Add(-time.Minute)
	n := 0
	for b.Loop() {
		for range 10 {
			evs := make([]queue.Event, 100)
			for i := range evs {
				evs[i] = benchEvent(n, now)
				n++
			}
			if _, err := s.Enqueue(ctx, evs); err != nil {
				b.Fatal(err)
			}
		}
		for _, d := range []string{"cxone", "genesys"} {
			q, _ := s.Dest(d)
			for {
				items, err := q.Claim(ctx, 500, time.Minute)
				if err != nil {
					b.Fatal(err)
				}
				if len(items) == 0 {
					break
				}
				if err := q.Ack(ctx, items); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.StopTimer()
	db := conn(b, url)
	if _, err := db.Exec(ctx, `VACUUM ANALYZE`); err != nil {
		b.Fatal(err)
	}
	var total int64
	if err := db.QueryRow(ctx, `SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c
		JOIN pg_namespace ns ON ns.oid = c.relnamespace WHERE ns.nspname = current_schema() AND c.relkind IN ('r', 'm')`).
		Scan(&total); err != nil {
		b.Fatal(err)
	}
	rows, err := db.Query(ctx, `SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c
		JOIN pg_namespace ns ON ns.oid = c.relnamespace WHERE ns.nspname = current_schema() AND c.relkind = 'r'
		ORDER BY 2 DESC LIMIT 8`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var name string
		var size int64
		rows.Scan(&name, &size)
		b.Logf("%-24s %6.0f bytes/number", name, float64(size)/float64(n))
	}
	rows.Close()
	b.ReportMetric(float64(total)/float64(n), "bytes/number")
	b.ReportMetric(float64(n), "numbers")
}
