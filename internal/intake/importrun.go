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

	"github.com/dncsync/dncsync/internal/backoff"
	"github.com/dncsync/dncsync/internal/consent"
	"github.com/dncsync/dncsync/internal/queue"
)

// ImportSink records imported rows: straight into the store (StoreSink) or through a running
// service (ServerSink).
type ImportSink interface {
	// Send records rows and answers one outcome per row in order. ids are the rows' event ids.
	// An error means the rest of the batch may not be recorded; sending it again is safe because
	// the event ids make it idempotent. With an error, the outcomes answered (possibly none) are
	// those of the first rows, which were recorded. The rows after them may have been recorded
	// too (the answer was lost, not the request): Import counts them as such when the retry finds
	// their event ids already seen. An error wrapping *UnsentError says how many of the last rows
	// were surely not sent, which narrows that to the rows really sent.
	Send(ctx context.Context, rows []ImportRow, ids []string) ([]ImportOutcome, error)
}

// UnsentError wraps a Send error and tells that the last Rows rows of the batch were never sent
// (a sink that splits a batch stopped at a request before theirs), so that a retry finding them
// already seen counts them as duplicates (an earlier import's) rather than as this one's.
type UnsentError struct {
	Rows int
	Err  error
}

func (e *UnsentError) Error() string { return e.Err.Error() }
func (e *UnsentError) Unwrap() error { return e.Err }

// ImportOutcome is what became of one row.
type ImportOutcome struct {
	Status string // accepted, duplicate, rejected (not a valid number, or too long), invalid (a field cannot be read)
	Number string // E.164, when accepted or duplicate
	Reason string // why, when rejected or invalid
}

// ImportCounts are an import's running totals, read by the progress display while it runs. Each
// counts rows of the file: a row folded into an identical one counts with that row's outcome.
type ImportCounts struct {
	Rows, Accepted, Duplicate, Rejected, Invalid atomic.Int64
	// Folded counts rows recorded as a repeat of an identical row (ImportRow.Repeats).
	Folded atomic.Int64
}

// DefaultBatchBytes bounds a batch by the size of its rows' text as well as by their number, so
// that the rows in memory stay few megabytes however long they are.
const DefaultBatchBytes = 1 << 20

// ImportOptions tune Import.
type ImportOptions struct {
	Digest     string // the file's Digest, for the rows' event ids
	Workers    int    // batches in flight at once; default 4
	BatchSize  int    // rows a batch; default 500
	BatchBytes int    // text of the rows of a batch, at most; default DefaultBatchBytes
	// RetryWait is the first wait before a batch is sent again while the store or service is
	// unavailable; it doubles, five times at most. Default 250ms.
	RetryWait time.Duration
	// OnProblem is told of every row not imported (rejected or invalid), for the report file.
	// Calls are serialized.
	OnProblem func(row ImportRow, o ImportOutcome)
}

// Import reads every row of ir and records it through sink, several batches at a time. Rows that
// repeat an identical row shortly before are folded into it (folder). It stops at the first error
// that survives retries, or when ctx ends: batches already handed to the sink are finished, not
// abandoned, so that the counts are those of what was recorded; what was recorded stays (a rerun
// completes it).
func Import(ctx context.Context, ir *ImportReader, sink ImportSink, opts ImportOptions, c *ImportCounts) error {
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 500
	}
	if opts.BatchBytes <= 0 {
		opts.BatchBytes = DefaultBatchBytes
	}
	if opts.RetryWait <= 0 {
		opts.RetryWait = 250 * time.Millisecond
	}
	if opts.OnProblem == nil {
		opts.OnProblem = func(ImportRow, ImportOutcome) {}
	}
	stop, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// A send is not cut short by a stop: its rows may be recorded even if the answer is lost.
	// Stores and the service's client bound each call by their own timeouts.
	send := context.WithoutCancel(ctx)
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
				if stop.Err() != nil {
					continue // drain, so the reader is never stuck
				}
				if err := importBatch(stop, send, b, sink, opts, c, problem); err != nil {
					cancel(err)
				}
			}
		})
	}
	readErr := func() error {
		defer close(batches)
		batch, size := make([]ImportRow, 0, opts.BatchSize), 0
		flush := func() bool {
			if len(batch) == 0 {
				return true
			}
			select {
			case batches <- batch:
			case <-stop.Done():
				return false
			}
			batch, size = make([]ImportRow, 0, opts.BatchSize), 0
			return true
		}
		f := newFolder(func(r ImportRow) bool {
			batch = append(batch, r)
			size += len(r.Record)
			if len(batch) < opts.BatchSize && size < opts.BatchBytes {
				return true
			}
			return flush()
		}, c)
		for {
			row, err := ir.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return fmt.Errorf("read the file: %w", err)
			}
			if c.Rows.Add(1)%4096 == 0 && stop.Err() != nil {
				return nil // rows folded into the window send nothing that would notice the stop
			}
			if !f.add(row) {
				return nil
			}
		}
		if f.flush() {
			flush()
		}
		return nil
	}()
	wg.Wait()
	if readErr != nil {
		return readErr
	}
	if err := context.Cause(stop); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// importBatch sends b, retrying while the store or service is unavailable; wait ends the retries
// (not a send in flight).
func importBatch(wait, send context.Context, b []ImportRow, sink ImportSink, opts ImportOptions, c *ImportCounts,
	problem func(ImportRow, ImportOutcome)) error {
	ids := make([]string, len(b))
	for i, r := range b {
		ids[i] = ImportEventID(opts.Digest, r.Line)
	}
	// mine counts the first rows of b sent by an attempt whose answer was lost (a timeout, a
	// dropped connection, a 503 after the store wrote): the store may hold them from that attempt,
	// and then the retry finds their event ids seen. Such a row is this import's, accepted, not a
	// duplicate: the counts must be what the store holds. The rows are a prefix of b, as a sink
	// answers the first rows first.
	mine := 0
	for attempt := 0; ; attempt++ {
		out, err := sink.Send(send, b, ids)
		if len(out) > len(b) {
			return fmt.Errorf("%d outcomes for %d rows", len(out), len(b))
		}
		if err == nil && len(out) != len(b) {
			return fmt.Errorf("%d outcomes for %d rows", len(out), len(b))
		}
		for i := range min(mine, len(out)) {
			if out[i].Status == "duplicate" {
				out[i].Status = "accepted"
			}
		}
		tally(b[:len(out)], out, c, problem)
		b, ids = b[len(out):], ids[len(out):]
		if err == nil {
			return nil
		}
		sent := len(b)
		if u := (*UnsentError)(nil); errors.As(err, &u) {
			sent = max(0, len(b)-u.Rows)
		}
		mine = max(mine-len(out), sent)
		if !errors.Is(err, queue.ErrUnavailable) || attempt == 5 {
			return err
		}
		select {
		case <-time.After(backoff.Exp(opts.RetryWait, opts.RetryWait<<5, attempt+1)):
		case <-wait.Done():
			return wait.Err()
		}
	}
}

// tally counts the outcomes of rows, each with the rows folded into it, and reports the problems.
func tally(rows []ImportRow, out []ImportOutcome, c *ImportCounts, problem func(ImportRow, ImportOutcome)) {
	for i, o := range out {
		n := int64(1 + rows[i].Repeats)
		switch o.Status {
		case "accepted":
			c.Accepted.Add(n)
		case "duplicate":
			c.Duplicate.Add(n)
		case "rejected":
			c.Rejected.Add(n)
			problem(rows[i], o)
		default:
			c.Invalid.Add(n)
			problem(rows[i], o)
		}
	}
}

// StoreSink writes rows straight into the store, through the opt-out webhook's own processing (the
// same parsing, rules, bounds and rejections): each batch is one Reject and one Enqueue call (one
// script call on Redis).
type StoreSink struct {
	Store         Sink
	DefaultRegion string           // for rows without a country
	Now           func() time.Time // default time.Now
	RevokeAll     consent.Policy   // DNCSYNC_REVOKE_ALL; unset: consent.DefaultPolicy
}

// Send implements ImportSink. A row goes through the import endpoint's own processing, read
// from the row rather than from its JSON, which is made only for a row kept as a refusal.
func (s StoreSink) Send(ctx context.Context, rows []ImportRow, ids []string) ([]ImportOutcome, error) {
	h := New(s.Store, Config{DefaultRegion: s.DefaultRegion, Now: s.Now, StoreTimeout: time.Minute, Import: true,
		RevokeAll: s.RevokeAll})
	now := h.cfg.Now()
	read := func(i int) (parsed, error) {
		w := rowEvent(rows[i], ids[i])
		return readEvent(&w, now, h.cfg.DefaultRegion)
	}
	body := func(i int) string {
		b, err := json.Marshal(importEvent(rows[i], ids[i], ""))
		if err != nil {
			return err.Error()
		}
		return string(b)
	}
	res, err := h.normalize(ctx, len(rows), read, body)
	if err != nil {
		return nil, err
	}
	return outcomes(res), nil
}
