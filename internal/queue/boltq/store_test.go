package boltq

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/queuetest"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// clock is a settable Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func openAt(t *testing.T, path string, opts Options) *Store {
	t.Helper()
	s, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func event(number, id string, at time.Time) queue.Event {
	return queue.Event{ID: id, Number: number, Raw: number, Action: queue.Add, Source: "test",
		OccurredAt: at, ReceivedAt: at}
}

func TestSecondOpenFailsFast(t *testing.T) {
	path := filepath.Join(t.TempDir(), "queue.db")
	first := openAt(t, path, Options{})
	start := time.Now()
	_, err := Open(path, Options{})
	if err == nil {
		t.Fatal("a second Open of a file in use succeeded")
	}
	if !strings.Contains(err.Error(), "is in use by another dncsync process") || !errors.Is(err, berrors.ErrTimeout) {
		t.Fatalf("unclear error: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("second Open waited %v", d)
	}
	first.Close()
	openAt(t, path, Options{}) // the lock goes with the first handle
}

func TestClosedStoreIsUnavailable(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "queue.db"), Options{})
	s.Close()
	ctx := context.Background()
	now := time.Now()
	it := queue.Item{Number: "+1", Lease: "x"}
	_, errEnqueue := s.Enqueue(ctx, []queue.Event{event("+14155550001", "", now)})
	_, errClaim := s.Claim(ctx, 1, time.Minute)
	_, errRecover := s.Recover(ctx, 3)
	_, errExtend := s.Extend(ctx, []queue.Item{{Number: "+1", Lease: "x"}}, time.Minute)
	_, _, errNextDue := s.NextDue(ctx)
	_, errStats := s.Stats(ctx)
	_, errRejections := s.Rejections(ctx, 1)
	_, _, errLookup := s.Lookup(ctx, "+14155550001", queue.Page{})
	_, errTrim := s.TrimAudit(ctx, now)
	errExport := s.Export(ctx, time.Time{}, time.Time{}, func(queue.AuditRecord) error { return nil })
	for name, err := range map[string]error{
		"Enqueue": errEnqueue, "Claim": errClaim, "Recover": errRecover, "NextDue": errNextDue,
		"Stats": errStats, "Rejections": errRejections, "Ping": s.Ping(ctx),
		"Lookup": errLookup, "TrimAudit": errTrim, "Export": errExport,
		"Ack": s.Ack(ctx, []queue.Item{it}), "Retry": s.Retry(ctx, it, 0, ""), "Snooze": s.Snooze(ctx, it, 0, ""),
		"Extend":     errExtend,
		"DeadLetter": s.DeadLetter(ctx, it, ""), "Reject": s.Reject(ctx, queue.Rejection{}),
	} {
		if !errors.Is(err, queue.ErrUnavailable) || !strings.HasPrefix(err.Error(), "boltq: ") {
			t.Errorf("%s on a closed store: %v", name, err)
		}
	}
}

func TestEventIDSweep(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	path := filepath.Join(t.TempDir(), "queue.db")
	s := openAt(t, path, Options{EventIDTTL: time.Hour, Now: c.Now})
	status := func(ev queue.Event) queue.EnqueueStatus {
		t.Helper()
		st, err := s.Enqueue(ctx, []queue.Event{ev})
		if err != nil {
			t.Fatal(err)
		}
		return st[0]
	}
	remembered := func() int {
		var n int
		s.db.View(func(tx *bolt.Tx) error { n = tx.Bucket(bEvents).Stats().KeyN; return nil })
		return n
	}
	ev := event("+14155550001", "evt-a", c.Now())
	if st := status(ev); st != queue.Created {
		t.Fatalf("first: %s", st)
	}
	c.add(59 * time.Minute)
	if st := status(ev); st != queue.Duplicate {
		t.Fatalf("within the TTL: %s", st)
	}
	// Past the TTL but not swept: the id counts as new whether or not the sweep has run.
	c.add(2 * time.Minute)
	if st := status(ev); st != queue.Merged {
		t.Fatalf("after the TTL: %s", st)
	}
	if st := status(ev); st != queue.Duplicate {
		t.Fatalf("the id was not remembered again: %s", st)
	}
	const bulk = 2*sweepLimit + 5
	many := make([]queue.Event, bulk)
	for i := range many {
		many[i] = event(fmt.Sprintf("+1415%07d", i), fmt.Sprint("bulk-", i), c.Now())
	}
	if _, err := s.Enqueue(ctx, many); err != nil {
		t.Fatal(err)
	}
	if n := remembered(); n != bulk+1 {
		t.Fatalf("remembered %d ids", n)
	}
	if _, err := s.Recover(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if n := remembered(); n != bulk+1 {
		t.Fatalf("ids swept before they expired: %d left", n)
	}
	c.add(time.Hour + time.Millisecond)
	// One round deletes at most sweepLimit ids.
	var swept int
	s.db.Update(func(tx *bolt.Tx) (err error) { swept, err = s.buckets(tx).sweep(ms(c.Now()), sweepLimit); return err })
	if n := remembered(); swept != sweepLimit || n != bulk+1-sweepLimit {
		t.Fatalf("one round swept %d, left %d", swept, n)
	}
	// Recover goes on in further rounds while they come back full.
	if _, err := s.Recover(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if n := remembered(); n != 0 {
		t.Fatalf("after Recover %d ids left", n)
	}
	if st := status(ev); st != queue.Merged {
		t.Fatalf("a swept id was still a duplicate: %s", st)
	}
	s.Close()
	checkFile(t, path)
}

func TestReviveDueNowKeepsFirstReceipt(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	s := openAt(t, filepath.Join(t.TempDir(), "queue.db"), Options{Now: c.Now})
	first := c.Now()
	s.Enqueue(ctx, []queue.Event{event("+14155550001", "", first)})
	items, _ := s.Claim(ctx, 1, time.Minute)
	if err := s.DeadLetter(ctx, items[0], "rejected"); err != nil {
		t.Fatal(err)
	}
	c.add(time.Hour)
	s.Enqueue(ctx, []queue.Event{event("+14155550002", "", first.Add(time.Second))}) // waited meanwhile
	st, err := s.Enqueue(ctx, []queue.Event{event("+14155550001", "", c.Now())})
	if err != nil || st[0] != queue.Merged {
		t.Fatalf("revive: %v %v", st, err)
	}
	due, ok, err := s.NextDue(ctx)
	if err != nil || !ok || !due.Equal(first.Add(time.Second)) {
		t.Fatalf("NextDue %v %v %v: the revived entry jumped the line", due, ok, err)
	}
	got, _ := s.Claim(ctx, 10, time.Minute)
	if len(got) != 2 || got[1].Number != "+14155550001" || !got[1].FirstReceivedAt.Equal(first) ||
		got[1].Attempts != 0 || got[1].LastError != "rejected" {
		t.Fatalf("revived entry: %+v", got)
	}
	if s, _ := s.Stats(ctx); !s.OldestReceived.Equal(first) {
		t.Fatalf("OldestReceived %v, want the revived entry's first receipt %v", s.OldestReceived, first)
	}
}

func TestConcurrentEnqueueSharesCommits(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "queue.db")
	s := openAt(t, path, Options{})
	const n = 64
	var wg sync.WaitGroup
	results := make([]queue.EnqueueStatus, n)
	now := time.Now()
	for i := range n {
		wg.Go(func() {
			// Every goroutine delivers the same webhook once and a number of its own.
			st, err := s.Enqueue(ctx, []queue.Event{event("+14155550000", "same", now),
				event(fmt.Sprintf("+1415666%04d", i), "", now)})
			if err != nil || st[1] != queue.Created {
				t.Errorf("enqueue %d: %v %v", i, st, err)
				return
			}
			results[i] = st[0]
		})
	}
	wg.Wait()
	created := 0
	for _, st := range results {
		if st == queue.Created {
			created++
		} else if st != queue.Duplicate {
			t.Fatalf("status %q", st)
		}
	}
	if created != 1 {
		t.Fatalf("the same event id was created %d times", created)
	}
	if st, _ := s.Stats(ctx); st.Ready != n+1 {
		t.Fatalf("stats %+v", st)
	}
	s.Close()
	checkFile(t, path)
}

func TestRecoverRefusesNoLostLeases(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "queue.db"), Options{})
	if _, err := s.Recover(context.Background(), 0); err == nil {
		t.Fatal("maxLost 0 accepted")
	}
}

func TestLongEventIDsAndNumbers(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "queue.db"), Options{})
	long := strings.Repeat("x", 100_000) // over bbolt's key limit: stored by digest
	ev := event("+14155550001", long, time.Now())
	if st, err := s.Enqueue(ctx, []queue.Event{ev, ev}); err != nil || st[1] != queue.Duplicate {
		t.Fatalf("long id: %v %v", st, err)
	}
	bad := event("+1"+strings.Repeat("5", maxNumberLen), "", time.Now())
	if _, err := s.Enqueue(ctx, []queue.Event{bad}); err == nil || errors.Is(err, queue.ErrUnavailable) {
		t.Fatalf("an overlong number: %v, want a validation error", err)
	}
}

func TestOpenReclaimsLeasesOfACrashedProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.Enqueue(ctx, queuetest.Sample(3)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Claim(ctx, 3, time.Hour); err != nil || len(got) != 3 {
		t.Fatalf("claim: %d %v", len(got), err)
	}
	s.Close() // as if the process died holding an hour-long lease
	s, err = Open(path, Options{MaxLostLeases: 2})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Claim(ctx, 10, time.Hour)
	if err != nil || len(got) != 3 {
		t.Fatalf("after reopen claimed %d (%v), want the 3 orphaned entries at once", len(got), err)
	}
	if got[0].LostLeases != 1 || got[0].Attempts != 0 || got[0].LastError != errOrphaned {
		t.Fatalf("orphan not counted as a lost lease alone: %+v", got[0])
	}
	s.Close()
	s, err = Open(path, Options{MaxLostLeases: 2}) // a second crash with the same numbers leased
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if st, _ := s.Stats(ctx); st.Dead != 3 || st.Depth() != 0 {
		t.Fatalf("entries that crashed the process twice not dead-lettered: %+v", st)
	}
}

// An ack of an entry that changed in flight returns it to ready with no attempts spent: the push
// that was acked succeeded.
func TestAckOfChangedEntryResetsAttempts(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "queue.db"), Options{})
	now := time.Now().Add(-time.Minute)
	s.Enqueue(ctx, []queue.Event{event("+14155550001", "", now)})
	items, _ := s.Claim(ctx, 1, time.Minute)
	if err := s.Retry(ctx, items[0], 0, "503"); err != nil {
		t.Fatal(err)
	}
	items, _ = s.Claim(ctx, 1, time.Minute)
	rm := event("+14155550001", "", now.Add(time.Second))
	rm.Action = queue.Remove
	s.Enqueue(ctx, []queue.Event{rm})
	if items[0].Attempts != 1 {
		t.Fatalf("attempts before the ack: %d", items[0].Attempts)
	}
	if err := s.Ack(ctx, items); err != nil {
		t.Fatal(err)
	}
	again, _ := s.Claim(ctx, 1, time.Minute)
	if len(again) != 1 || again[0].Action != queue.Remove || again[0].Attempts != 0 {
		t.Fatalf("after the ack: %+v", again)
	}
}

// The store keeps milliseconds and compares at the millisecond, as redisq does: a repeat of an
// event whose times have finer digits is a plain repeat, not a change of what to push.
func TestSubMillisecondTimes(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "queue.db"), Options{})
	now := time.Now().Add(-time.Minute).Truncate(time.Millisecond).Add(123456 * time.Nanosecond)
	ev := event("+14155550001", "", now)
	ev.ExpiresAt = now.Add(time.Hour)
	s.Enqueue(ctx, []queue.Event{ev})
	items, _ := s.Claim(ctx, 1, time.Minute)
	if st, err := s.Enqueue(ctx, []queue.Event{ev}); err != nil || st[0] != queue.Merged {
		t.Fatalf("repeat: %v %v", st, err)
	}
	if err := s.Ack(ctx, items); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Stats(ctx); st.Depth() != 0 {
		t.Fatalf("the repeat was taken for a change: %+v", st)
	}
	// Nor is the same event again, now that CXone has it.
	if st, err := s.Enqueue(ctx, []queue.Event{ev}); err != nil || st[0] != queue.Stale {
		t.Fatalf("after the ack: %v %v", st, err)
	}
}
