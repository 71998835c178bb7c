package pgq_test

import (
	"context"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/pgq"
)

// BenchmarkImportBatch measures batches of 500 new numbers, as `dncsync import` sends them, through
// Enqueue and through EnqueueImport (COPY into a staging table and one merge), two destinations.
func BenchmarkImportBatch(b *testing.B) {
	for _, tc := range []struct {
		name string
		imp  bool
	}{{"enqueue", false}, {"import", true}} {
		b.Run(tc.name, func(b *testing.B) {
			s := open(b, migrated(b), pgq.Options{Destinations: []string{"cxone", "genesys"}})
			ctx := context.Background()
			now := time.Now()
			n := 0
			evs := make([]queue.Event, 500)
			for b.Loop() {
				for i := range evs {
					evs[i] = benchEvent(n, now)
					n++
				}
				var err error
				if tc.imp {
					_, err = s.EnqueueImport(ctx, evs)
				} else {
					_, err = s.Enqueue(ctx, evs)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
