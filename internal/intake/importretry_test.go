package intake

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// dropAfter is a fault between the import client and the service: it lets the request numbered
// drop (from 1) reach the service, which records it, then closes the connection instead of
// answering, as a timeout after the store applied does. It counts the "duplicate" results it
// passes on, so that a test can show the retry met the rows the lost answer was about.
type dropAfter struct {
	h                 *Handler
	drop              int64
	requests, dropped atomic.Int64
	duplicates        atomic.Int64
}

func (d *dropAfter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	d.h.OptOut(rec, r)
	d.duplicates.Add(int64(strings.Count(rec.Body.String(), `"status":"duplicate"`)))
	if d.requests.Add(1) == d.drop {
		d.dropped.Add(1)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(err)
		}
		conn.Close()
		return
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

func numbersFile(n int) string {
	var in strings.Builder
	in.WriteString("phone\n")
	for i := range n {
		fmt.Fprintf(&in, "415555%04d\n", i)
	}
	return in.String()
}

// TestImportRetryAfterLostAnswerCountsAccepted (issue 16): a batch the service recorded but whose
// answer was lost is sent again; the retry finds its event ids seen, and those rows are this
// import's accepted rows, not duplicates. The counts are what the store holds.
func TestImportRetryAfterLostAnswerCountsAccepted(t *testing.T) {
	b := setupImport(t)
	fault := &dropAfter{h: New(b.store, Config{Import: true}), drop: 3}
	srv := httptest.NewServer(fault)
	defer srv.Close()
	c, _, err := b.run(t, numbersFile(1000), ServerSink{Base: srv.URL, HTTP: srv.Client()}, ReaderOptions{},
		ImportOptions{BatchSize: 100, Workers: 1, RetryWait: time.Millisecond})
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	if fault.dropped.Load() != 1 || fault.duplicates.Load() != 100 {
		t.Fatalf("the fault dropped %d answers and the service answered %d duplicates: want one lost answer, its 100 rows seen again",
			fault.dropped.Load(), fault.duplicates.Load())
	}
	st, _ := b.store.Stats(b.ctx)
	if c.Accepted.Load() != 1000 || c.Duplicate.Load() != 0 || st.Ready != 1000 {
		t.Fatalf("accepted %d duplicate %d, the store holds %d: want 1000 accepted", c.Accepted.Load(), c.Duplicate.Load(), st.Ready)
	}
}

// TestImportRetryKeepsUnsentRowsDuplicate: on a rerun (every row already recorded by the first
// run) a batch split into two requests loses the first answer; the rows of the second request were
// never sent by the failed attempt (UnsentError), so the retry counts them duplicates as they are.
// Only the rows whose answer was lost cannot be told from this import's: they count accepted.
func TestImportRetryKeepsUnsentRowsDuplicate(t *testing.T) {
	b := setupImport(t)
	in := numbersFile(MaxBatch + 200)
	if c, _, err := b.run(t, in, nil, ReaderOptions{}, ImportOptions{BatchSize: MaxBatch + 200}); err != nil || c.Accepted.Load() != MaxBatch+200 {
		t.Fatalf("first run: %v, %d accepted", err, c.Accepted.Load())
	}
	fault := &dropAfter{h: New(b.store, Config{Import: true}), drop: 1}
	srv := httptest.NewServer(fault)
	defer srv.Close()
	c, _, err := b.run(t, in, ServerSink{Base: srv.URL, HTTP: srv.Client()}, ReaderOptions{},
		ImportOptions{BatchSize: MaxBatch + 200, Workers: 1, RetryWait: time.Millisecond})
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	if fault.dropped.Load() != 1 || fault.requests.Load() != 3 {
		t.Fatalf("%d requests, %d dropped: want the first of two dropped, then both again", fault.requests.Load(), fault.dropped.Load())
	}
	if c.Accepted.Load() != MaxBatch || c.Duplicate.Load() != 200 {
		t.Fatalf("accepted %d duplicate %d: want the lost request's %d rows accepted, the unsent 200 duplicate",
			c.Accepted.Load(), c.Duplicate.Load(), MaxBatch)
	}
}

// TestServerSinkNoConnectionIsUnsent: a service that cannot be reached was sent nothing, which
// Send says (UnsentError for every row), so that a retry's duplicates stay duplicates.
func TestServerSinkNoConnectionIsUnsent(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close() // the port now refuses connections
	rows := []ImportRow{{Line: 1, Raw: "4155552671"}, {Line: 2, Raw: "4155552672"}}
	_, err := ServerSink{Base: base}.Send(t.Context(), rows, []string{"import:x:1", "import:x:2"})
	var u *UnsentError
	if !errors.As(err, &u) || u.Rows != 2 || !errors.Is(err, queue.ErrUnavailable) {
		t.Fatalf("Send to a closed port = %v, want unavailable with both rows unsent", err)
	}
}
