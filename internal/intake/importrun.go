package intake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// ImportSink records imported rows: straight into the store (StoreSink) or through a running
// service (ServerSink).
type ImportSink interface {
	// Send records rows, none of them Invalid, and answers one outcome per row in order. ids are
	// the rows' event ids. An error means the batch may not be recorded; sending it again is safe
	// because the event ids make it idempotent.
	Send(ctx context.Context, rows []ImportRow, ids []string) ([]ImportOutcome, error)
}

// ImportOutcome is what became of one row.
type ImportOutcome struct {
	Status string // accepted, duplicate, rejected (not a valid number), invalid (a field cannot be read)
	Number string // E.164, when accepted or duplicate
	Reason string // why, when rejected or invalid
}

// ImportCounts are an import's running totals, read by the progress display while it runs.
type ImportCounts struct {
	Rows, Accepted, Duplicate, Rejected, Invalid atomic.Int64
}

// ImportOptions tune Import.
type ImportOptions struct {
	Digest    string // the file's Digest, for the rows' event ids
	Workers   int    // batches in flight at once; default 4
	BatchSize int    // rows a batch; default 500
	// RetryWait is the first wait before a batch is sent again while the store or service is
	// unavailable; it doubles, five times at most. Default 250ms.
	RetryWait time.Duration
	// OnProblem is told of every row not imported (rejected or invalid), for the report file.
	// Calls are serialized.
	OnProblem func(row ImportRow, o ImportOutcome)
}

// Import reads every row of ir and records it through sink, several batches at a time. It stops
// at the first error that survives retries; what was recorded before stays (a rerun completes it).
func Import(ctx context.Context, ir *ImportReader, sink ImportSink, opts ImportOptions, c *ImportCounts) error {
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 500
	}
	if opts.RetryWait <= 0 {
		opts.RetryWait = 250 * time.Millisecond
	}
	if opts.OnProblem == nil {
		opts.OnProblem = func(ImportRow, ImportOutcome) {}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	batches := make(chan []ImportRow, opts.Workers)
	var mu sync.Mutex // serializes OnProblem
	problem := func(r ImportRow, o ImportOutcome) {
		mu.Lock()
		defer mu.Unlock()
		opts.OnProblem(r, o)
	}
	var wg sync.WaitGroup
	for range opts.Workers {
		wg.Go(func() {
			for b := range batches {
				if ctx.Err() != nil {
					continue // drain, so the reader is never stuck
				}
				if err := importBatch(ctx, b, sink, opts, c, problem); err != nil {
					cancel(err)
				}
			}
		})
	}
	readErr := func() error {
		defer close(batches)
		batch := make([]ImportRow, 0, opts.BatchSize)
		for {
			row, err := ir.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return fmt.Errorf("read the file: %w", err)
			}
			c.Rows.Add(1)
			batch = append(batch, row)
			if len(batch) == opts.BatchSize {
				select {
				case batches <- batch:
				case <-ctx.Done():
					return nil
				}
				batch = make([]ImportRow, 0, opts.BatchSize)
			}
		}
		if len(batch) > 0 {
			select {
			case batches <- batch:
			case <-ctx.Done():
			}
		}
		return nil
	}()
	wg.Wait()
	if readErr != nil {
		return readErr
	}
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// importBatch sends the valid rows of b, retrying while the store or service is unavailable.
func importBatch(ctx context.Context, b []ImportRow, sink ImportSink, opts ImportOptions, c *ImportCounts,
	problem func(ImportRow, ImportOutcome)) error {
	rows := make([]ImportRow, 0, len(b))
	ids := make([]string, 0, len(b))
	for _, r := range b {
		if r.Invalid != "" {
			c.Invalid.Add(1)
			problem(r, ImportOutcome{Status: "invalid", Reason: r.Invalid})
			continue
		}
		rows = append(rows, r)
		ids = append(ids, ImportEventID(opts.Digest, r.Line))
	}
	if len(rows) == 0 {
		return nil
	}
	var out []ImportOutcome
	var err error
	for attempt := 0; ; attempt++ {
		out, err = sink.Send(ctx, rows, ids)
		if err == nil || !errors.Is(err, queue.ErrUnavailable) || attempt == 5 {
			break
		}
		select {
		case <-time.After(opts.RetryWait << attempt):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err != nil {
		return err
	}
	if len(out) != len(rows) {
		return fmt.Errorf("%d outcomes for %d rows", len(out), len(rows))
	}
	for i, o := range out {
		switch o.Status {
		case "accepted":
			c.Accepted.Add(1)
		case "duplicate":
			c.Duplicate.Add(1)
		case "rejected":
			c.Rejected.Add(1)
			problem(rows[i], o)
		default:
			c.Invalid.Add(1)
			problem(rows[i], o)
		}
	}
	return nil
}

// StoreSink writes rows straight into the store, through the opt-out webhook's own processing (the
// same parsing, rules, bounds and rejections): each batch is one Reject and one Enqueue call (one
// script call on Redis).
type StoreSink struct {
	Store         queue.Queue
	DefaultRegion string           // for rows without a country
	Now           func() time.Time // default time.Now
}

// Send implements ImportSink.
func (s StoreSink) Send(ctx context.Context, rows []ImportRow, ids []string) ([]ImportOutcome, error) {
	h := New(s.Store, Config{DefaultRegion: s.DefaultRegion, Now: s.Now, StoreTimeout: time.Minute})
	raws := make([]json.RawMessage, len(rows))
	for i, r := range rows {
		b, err := json.Marshal(importEvent(r, ids[i], ""))
		if err != nil {
			return nil, err
		}
		raws[i] = b
	}
	res, err := h.process(ctx, raws, h.cfg.Now(), "", true)
	if err != nil {
		return nil, err
	}
	return outcomes(res), nil
}
