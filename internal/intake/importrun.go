package intake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dncsync/dncsync/internal/phone"
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

// ImportStore is what StoreSink writes to.
type ImportStore interface {
	Enqueue(ctx context.Context, events []queue.Event) ([]queue.EnqueueStatus, error)
	Reject(ctx context.Context, rs ...queue.Rejection) error
}

// StoreSink normalizes rows here and writes them straight into the store: rejections, then the
// accepted events, each batch in one call (one script call on Redis).
type StoreSink struct {
	Store         ImportStore
	DefaultRegion string
	Now           func() time.Time // default time.Now
}

// Send implements ImportSink.
func (s StoreSink) Send(ctx context.Context, rows []ImportRow, ids []string) ([]ImportOutcome, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	at := now().Truncate(time.Millisecond)
	out := make([]ImportOutcome, len(rows))
	events := make([]queue.Event, 0, len(rows))
	slots := make([]int, 0, len(rows))
	var rejs []queue.Rejection
	for i, r := range rows {
		region := r.Country
		if region == "" {
			region = s.DefaultRegion
		}
		num, err := phone.Parse(r.Raw, region)
		if err != nil {
			reason := "invalid_number"
			var pe *phone.Error
			if errors.As(err, &pe) {
				reason = string(pe.Reason)
			}
			rejs = append(rejs, queue.Rejection{Raw: r.Raw, Body: truncate(r.Record, 4096), Reason: reason,
				Region: region, Source: ImportSource(r.Source), Channel: r.Channel, EventID: ids[i], ReceivedAt: at})
			out[i] = ImportOutcome{Status: "rejected", Reason: reason}
			continue
		}
		events = append(events, importEvent(r, ids[i], num.E164, at))
		slots = append(slots, i)
	}
	if err := s.Store.Reject(ctx, rejs...); err != nil {
		return nil, fmt.Errorf("record rejections: %w", err)
	}
	if len(events) == 0 {
		return out, nil
	}
	st, err := s.Store.Enqueue(ctx, events)
	if err != nil {
		return nil, fmt.Errorf("enqueue: %w", err)
	}
	for j, i := range slots {
		out[i] = ImportOutcome{Status: "accepted", Number: events[j].Number}
		if st[j] == queue.Duplicate {
			out[i].Status = "duplicate"
		}
	}
	return out, nil
}

// importEvent is the queue event of an accepted row received at at. The row's own occurredAt is
// kept; it defaults to at and is never later than it, as for a webhook.
func importEvent(r ImportRow, id, e164 string, at time.Time) queue.Event {
	occ := at
	if !r.OccurredAt.IsZero() && r.OccurredAt.Before(at) {
		occ = r.OccurredAt.Truncate(time.Millisecond)
	}
	return queue.Event{ID: id, Number: e164, Raw: r.Raw, Action: r.Action, Source: ImportSource(r.Source),
		Channel: r.Channel, Reason: r.Reason, Scope: r.Scope, OccurredAt: occ, ReceivedAt: at,
		ExpiresAt: r.ExpiresAt.Truncate(time.Millisecond)}
}
