package intake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/boltq"
)

// importBundle is a store and what an import into it needs.
type importBundle struct {
	ctx   context.Context
	store *boltq.Store
}

func setupImport(t *testing.T) *importBundle {
	t.Helper()
	s, err := boltq.Open(filepath.Join(t.TempDir(), "q.db"), boltq.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &importBundle{ctx: context.Background(), store: s}
}

// run imports in through sink (the store's own when nil) and returns the counts and the problems
// reported, by line.
func (b *importBundle) run(t *testing.T, in string, sink ImportSink, ro ReaderOptions, o ImportOptions) (*ImportCounts, map[int]ImportOutcome, error) {
	t.Helper()
	if sink == nil {
		sink = StoreSink{Store: b.store, DefaultRegion: "US"}
	}
	ir, err := NewImportReader(strings.NewReader(in), ro)
	if err != nil {
		t.Fatal(err)
	}
	o.Digest, _ = Digest(strings.NewReader(in))
	problems := map[int]ImportOutcome{}
	o.OnProblem = func(r ImportRow, out ImportOutcome) { problems[r.Line] = out }
	c := &ImportCounts{}
	err = Import(b.ctx, ir, sink, o, c)
	return c, problems, err
}

func (b *importBundle) rejections(t *testing.T) []queue.Rejection {
	t.Helper()
	rej, err := b.store.RejectionsSince(b.ctx, time.Time{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return rej
}

// TestImportRecordsRepeatsOnce: a number repeated thousands of times with the same content is one
// record with the count; so is a repeated invalid row (one rejection, its count in the body); the
// counts are the file's rows; a rerun changes nothing.
func TestImportRecordsRepeatsOnce(t *testing.T) {
	b := setupImport(t)
	var in strings.Builder
	in.WriteString("phone,reason\n")
	for i := range 8000 {
		switch {
		case i%3 == 0:
			in.WriteString("12,junk\n")
		case i%100 == 1:
			fmt.Fprintf(&in, "(415) 555-%04d,asked\n", i)
		default:
			in.WriteString("(415) 555-2671,asked\n")
		}
	}
	c, problems, err := b.run(t, in.String(), nil, ReaderOptions{}, ImportOptions{BatchSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	// 2,667 junk rows, 54 numbers once each, and one number 5,279 times.
	if c.Rows.Load() != 8000 || c.Rejected.Load() != 2667 || c.Accepted.Load() != 8000-2667 || c.Folded.Load() != 8000-2-54 {
		t.Fatalf("rows %d accepted %d rejected %d folded %d", c.Rows.Load(), c.Accepted.Load(), c.Rejected.Load(), c.Folded.Load())
	}
	if len(problems) != 1 || problems[2].Reason != "too_short" {
		t.Fatalf("problems %v, want the repeated junk row once", problems)
	}
	h, _, err := b.store.Lookup(b.ctx, "+14155552671", queue.Page{})
	if err != nil || len(h.Records) != 1 || h.Records[0].Repeats != 5278 || h.Records[0].EventID != ImportEventID(mustDigest(t, in.String()), 4) {
		t.Fatalf("trail %+v (%v), want one record with 5278 repeats", h.Records, err)
	}
	rej := b.rejections(t)
	if len(rej) != 1 || !strings.Contains(rej[0].Body, `"importRepeats":2666`) {
		t.Fatalf("rejections %+v, want one with its repeats", rej)
	}
	c, _, err = b.run(t, in.String(), nil, ReaderOptions{}, ImportOptions{BatchSize: 100})
	if err != nil || c.Duplicate.Load() != 8000-2667 || c.Accepted.Load() != 0 {
		t.Fatalf("rerun: duplicate %d accepted %d (%v)", c.Duplicate.Load(), c.Accepted.Load(), err)
	}
	if h, _, _ := b.store.Lookup(b.ctx, "+14155552671", queue.Page{}); len(h.Records) != 1 {
		t.Fatalf("after the rerun the trail has %d records", len(h.Records))
	}
}

func mustDigest(t *testing.T, in string) string {
	d, err := Digest(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestImportRefusesLongRowsAndEmptyCells: a row over the bound is rejected as row_too_long with
// its first bytes, under its number when that was valid; an empty number cell is said to be one.
func TestImportRefusesLongRowsAndEmptyCells(t *testing.T) {
	b := setupImport(t)
	in := "phone,reason\n4155552671,ok\n4155552672," + strings.Repeat("long ", 1000) + "\n,no number\n4155552673,ok\n"
	c, problems, err := b.run(t, in, nil, ReaderOptions{MaxRow: 1024}, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Accepted.Load() != 2 || c.Rejected.Load() != 1 || c.Invalid.Load() != 1 {
		t.Fatalf("accepted %d rejected %d invalid %d", c.Accepted.Load(), c.Rejected.Load(), c.Invalid.Load())
	}
	if p := problems[3]; p.Status != "rejected" || p.Reason != RowTooLong {
		t.Fatalf("long row: %+v", p)
	}
	if p := problems[4]; p.Status != "invalid" || p.Reason != "empty phone column" {
		t.Fatalf("empty cell: %+v, want \"empty phone column\"", p)
	}
	var long *queue.Rejection
	for _, r := range b.rejections(t) {
		if r.Reason == RowTooLong {
			long = &r
		}
	}
	if long == nil || long.Number != "+14155552672" || !strings.Contains(long.Body, `"importProblem":"row_too_long"`) ||
		len(long.Body) > queue.MaxBodyLen+8 {
		t.Fatalf("the long row's rejection %+v", long)
	}
}

// TestImportInterruptedCountsWhatItRecorded: a stop while a batch is in flight lets that batch
// finish, and counts it: the summary is what the store holds.
func TestImportInterruptedCountsWhatItRecorded(t *testing.T) {
	b := setupImport(t)
	ctx, cancel := context.WithCancel(context.Background())
	b.ctx = ctx
	inFlight, stopped := make(chan struct{}), make(chan struct{})
	store := StoreSink{Store: b.store, DefaultRegion: "US"}
	sink := sinkFunc(func(ctx context.Context, rows []ImportRow, ids []string) ([]ImportOutcome, error) {
		if rows[0].Line == 1 {
			close(inFlight)
			<-stopped
		}
		if err := ctx.Err(); err != nil {
			return nil, err // as a request cut short would
		}
		return store.Send(ctx, rows, ids)
	})
	go func() {
		<-inFlight
		cancel()
		close(stopped)
	}()
	c, _, err := b.run(t, "4155552671\n4155552672\n4155552673\n", sink, ReaderOptions{}, ImportOptions{BatchSize: 1, Workers: 1})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Import = %v, want it interrupted", err)
	}
	st, _ := b.store.Stats(context.Background())
	if c.Accepted.Load() != 1 || st.Ready != 1 {
		t.Fatalf("counted %d accepted, the store holds %d: want the batch in flight recorded and counted", c.Accepted.Load(), st.Ready)
	}
}

type sinkFunc func(ctx context.Context, rows []ImportRow, ids []string) ([]ImportOutcome, error)

func (f sinkFunc) Send(ctx context.Context, rows []ImportRow, ids []string) ([]ImportOutcome, error) {
	return f(ctx, rows, ids)
}

// TestServerSinkSplitsByBytes: a batch whose events pass the service's body limit goes in several
// requests, each under it; a row too long for any request is rejected as row_too_long; every
// count is what the store holds.
func TestServerSinkSplitsByBytes(t *testing.T) {
	b := setupImport(t)
	h := New(b.store, Config{Import: true})
	var requests, biggest atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if n := r.ContentLength; n > biggest.Load() {
			biggest.Store(n)
		}
		h.OptOut(w, r)
	}))
	defer srv.Close()
	var in strings.Builder
	in.WriteString("phone,reason\n")
	reason := strings.Repeat("r", 3000)
	for i := range 600 {
		fmt.Fprintf(&in, "415555%04d,%s %d\n", i, reason, i)
	}
	fmt.Fprintf(&in, "4155559999,%s\n", strings.Repeat("\x01", 600<<10)) // 3.6 MB escaped in JSON
	fmt.Fprintf(&in, "4155559998,%s\n", strings.Repeat("r", 1500<<10))   // over the limit as it is
	c, problems, err := b.run(t, in.String(), ServerSink{Base: srv.URL, HTTP: srv.Client()}, ReaderOptions{MaxRow: 2 << 20},
		ImportOptions{BatchSize: 1000, BatchBytes: 8 << 20})
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	st, _ := b.store.Stats(b.ctx)
	if c.Accepted.Load() != 600 || c.Rejected.Load() != 2 || st.Ready != 600 {
		t.Fatalf("accepted %d rejected %d, store holds %d", c.Accepted.Load(), c.Rejected.Load(), st.Ready)
	}
	if p, q := problems[602], problems[603]; p.Reason != RowTooLong || q.Reason != RowTooLong {
		t.Fatalf("the rows too long for a request: %+v %+v", p, q)
	}
	if requests.Load() < 2 || biggest.Load() > MaxBody {
		t.Fatalf("%d requests, the biggest %d bytes: want several, each at most %d", requests.Load(), biggest.Load(), MaxBody)
	}
	raw, _ := json.Marshal(b.rejections(t))
	if !strings.Contains(string(raw), RowTooLong) {
		t.Fatalf("the long row is not recorded: %s", raw)
	}
}
