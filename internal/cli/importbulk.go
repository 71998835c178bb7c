package cli

import (
	"context"

	"github.com/dncsync/dncsync/internal/intake"
	"github.com/dncsync/dncsync/internal/queue"
)

// importEnqueuer is a store with a write path of its own for an import's batches (PostgreSQL:
// COPY into a staging table and one merge), recording what Enqueue records.
type importEnqueuer interface {
	EnqueueImport(ctx context.Context, events []queue.Event) ([]queue.EnqueueStatus, error)
}

// importSink sends an import's events through the store's import path.
type importSink struct {
	intake.Sink
	imp importEnqueuer
}

func (s importSink) Enqueue(ctx context.Context, events []queue.Event) ([]queue.EnqueueStatus, error) {
	return s.imp.EnqueueImport(ctx, events)
}

// importTarget is the sink an import writes to: the store's import path when it has one.
func importTarget(sink intake.Sink, store queue.Store) intake.Sink {
	if imp, ok := store.(importEnqueuer); ok {
		return importSink{Sink: sink, imp: imp}
	}
	return sink
}
