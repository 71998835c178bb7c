package boltq

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
	bolt "go.etcd.io/bbolt"
)

// benchEvent is the n-th event of a benchmark: numbers and ids scattered like real traffic,
// so that writes land on random pages rather than append to one.
func benchEvent(n int64, at time.Time) queue.Event {
	num := fmt.Sprintf("+1%010d", (n*7_654_321_987)%10_000_000_000)
	id := fmt.Sprintf("%016x", uint64(n)*0x9e3779b97f4a7c15)
	return queue.Event{ID: id, Number: num, Raw: num, Action: queue.Add, Source: "bench",
		Channel: "web", Reason: "STOP", OccurredAt: at, ReceivedAt: at}
}

// BenchmarkEnqueue measures durable enqueues (each fsynced) as webhook handlers make them:
// goroutines = parallelism x GOMAXPROCS, each call waits for its commit.
func BenchmarkEnqueue(b *testing.B) {
	for _, bc := range []struct {
		perCall, parallelism int
	}{{1, 1}, {1, 8}, {1, 32}, {1, 128}, {100, 1}, {100, 8}} {
		b.Run(fmt.Sprintf("events=%d/parallel=%dx", bc.perCall, bc.parallelism), func(b *testing.B) {
			s, err := Open(filepath.Join(b.TempDir(), "queue.db"), Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			var seq atomic.Int64
			b.SetParallelism(bc.parallelism)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				evs := make([]queue.Event, bc.perCall)
				for pb.Next() {
					now := time.Now()
					for i := range evs {
						evs[i] = benchEvent(seq.Add(1), now)
					}
					if _, err := s.Enqueue(ctx, evs); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(seq.Load())/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkLifecycle measures the whole path of an entry as one pusher drives it: enqueue (in
// batches of 100), claim 1000, ack 1000, three fsynced commits per 1000 events plus ten for
// the enqueues.
func BenchmarkLifecycle(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "queue.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	var n int64
	evs := make([]queue.Event, 100)
	for b.Loop() {
		now := time.Now().Add(-time.Second)
		for range 10 {
			for i := range evs {
				n++
				evs[i] = benchEvent(n, now)
			}
			if _, err := s.Enqueue(ctx, evs); err != nil {
				b.Fatal(err)
			}
		}
		items, err := s.Claim(ctx, 1000, time.Minute)
		if err != nil || len(items) != 1000 {
			b.Fatalf("claimed %d: %v", len(items), err)
		}
		if err := s.Ack(ctx, items); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkTrimAudit measures how long one trim transaction holds the writer lock (ms/tx), on a
// trail of 300,000 records of 100,000 numbers written before the cutoff; all but the newest
// record of each number go. The store is built once, outside the timing.
func BenchmarkTrimAudit(b *testing.B) {
	const numbers, perNumber = 100_000, 3
	ctx := context.Background()
	b.StopTimer()
	for range b.N {
		s, err := Open(filepath.Join(b.TempDir(), "queue.db"), Options{})
		if err != nil {
			b.Fatal(err)
		}
		evs := make([]queue.Event, 0, 1000)
		var n int64
		for range perNumber {
			for i := range int64(numbers) {
				n++
				ev := benchEvent(i, time.Now())
				ev.ID = fmt.Sprint(n)
				if evs = append(evs, ev); len(evs) == cap(evs) {
					if _, err := s.Enqueue(ctx, evs); err != nil {
						b.Fatal(err)
					}
					evs = evs[:0]
				}
			}
		}
		var before, after int
		s.db.View(func(tx *bolt.Tx) error { before = tx.ID(); return nil })
		cutoff := time.Now().Add(time.Second) // after every record above (stamped in ms)
		b.StartTimer()
		start := time.Now()
		removed, err := s.TrimAudit(ctx, cutoff)
		elapsed := time.Since(start)
		b.StopTimer()
		if err != nil || removed != numbers*(perNumber-1) {
			b.Fatalf("trimmed %d: %v", removed, err)
		}
		s.db.View(func(tx *bolt.Tx) error { after = tx.ID(); return nil })
		b.ReportMetric(float64(elapsed.Milliseconds())/float64(after-before), "ms/tx")
		b.ReportMetric(float64(removed)/elapsed.Seconds(), "records/s")
		s.Close()
	}
}
