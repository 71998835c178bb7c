package intake

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/dncsync/dncsync/internal/queue"
)

// discardQueue takes every write and keeps nothing: the import's own cost, without a store.
type discardQueue struct{ queue.Queue }

func (discardQueue) Enqueue(_ context.Context, evs []queue.Event) ([]queue.EnqueueStatus, error) {
	st := make([]queue.EnqueueStatus, len(evs))
	for i := range st {
		st[i] = queue.Created
	}
	return st, nil
}

func (discardQueue) Reject(context.Context, ...queue.Rejection) error { return nil }

// benchFile is rows of BENCHMARKS.md's import file: four formats of US numbers, each with its own
// occurredAt, and every 97th row not a valid number.
func benchFile(rows int) string {
	var b strings.Builder
	b.WriteString("phone,occurredAt,reason,country\n")
	area := []int{212, 310, 415, 512, 617, 646, 702, 713, 805, 917}
	for i := range rows {
		a, x, l := area[i%10], 200+(i/10)%800, (i/8000)%10000
		switch {
		case i%97 == 96:
			fmt.Fprintf(&b, "%d,2024-01-02,bad row,\n", i%1000)
		case i%4 == 0:
			fmt.Fprintf(&b, "(%d) %03d-%04d,2024-03-04T05:06:07Z,web form,\n", a, x, l)
		case i%4 == 1:
			fmt.Fprintf(&b, "+1 %d-%03d-%04d,2023-12-01,sms STOP,US\n", a, x, l)
		case i%4 == 2:
			fmt.Fprintf(&b, "%d%03d%04d,,agent,US\n", a, x, l)
		default:
			fmt.Fprintf(&b, "1-%d-%03d-%04d,2025-06-30 10:00:00,,\n", a, x, l)
		}
	}
	return b.String()
}

// BenchmarkImport is the import's cost a row in the importing process: reading, folding,
// normalizing and building the store's writes, on one worker, into a store that keeps nothing.
func BenchmarkImport(b *testing.B) {
	in := benchFile(100000)
	b.SetBytes(int64(len(in)) / 100000)
	b.ReportAllocs()
	b.ResetTimer()
	for n := b.N; n > 0; n -= 100000 {
		ir, err := NewImportReader(strings.NewReader(in), ReaderOptions{})
		if err != nil {
			b.Fatal(err)
		}
		var c ImportCounts
		if err := Import(context.Background(), ir, StoreSink{Store: discardQueue{}, DefaultRegion: "US"},
			ImportOptions{Digest: "bench", Workers: 1}, &c); err != nil {
			b.Fatal(err)
		}
		if c.Rows.Load() != 100000 {
			b.Fatalf("%d rows", c.Rows.Load())
		}
	}
}
