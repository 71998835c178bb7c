package boltq

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
	bolt "go.etcd.io/bbolt"
)

func kindsOf(trail []queue.AuditRecord) string {
	out := make([]string, len(trail))
	for i, r := range trail {
		out[i] = string(r.Kind)
	}
	return strings.Join(out, " ")
}

func mustLookup(t *testing.T, s *Store, number string) (queue.NumberState, []queue.AuditRecord) {
	t.Helper()
	h, found, err := s.Lookup(context.Background(), number, queue.Page{})
	if err != nil || !found {
		t.Fatalf("Lookup(%s): found %v, %v", number, found, err)
	}
	return h.State, h.Records
}

func exportAll(t *testing.T, s *Store, since, until time.Time) []queue.AuditRecord {
	t.Helper()
	var out []queue.AuditRecord
	if err := s.Export(context.Background(), since, until, func(r queue.AuditRecord) error {
		out = append(out, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// writeTxID is the id of the last committed write transaction: the difference over a call is the
// number of transactions it committed.
func writeTxID(t *testing.T, s *Store) int {
	t.Helper()
	var id int
	if err := s.db.View(func(tx *bolt.Tx) error { id = tx.ID(); return nil }); err != nil {
		t.Fatal(err)
	}
	return id
}

// A file of the layout before the audit trail opens: the trail starts empty, the entries it holds
// are found (without a trail) and go on being processed and recorded.
func TestOpenLayoutWithoutTrail(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "queue.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	s.Enqueue(ctx, []queue.Event{event("+14155550001", "evt-1", now), event("+14155550002", "", now)})
	if got, err := s.Claim(ctx, 1, time.Hour); err != nil || len(got) != 1 {
		t.Fatalf("claim: %v %v", got, err)
	}
	s.Close()
	// Make it a file of layout 1, as the build before the trail wrote it.
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bAudit, bTrail} {
			if err := tx.DeleteBucket(b); err != nil {
				return err
			}
		}
		return tx.Bucket(bMeta).Put(keyFormat, []byte{formatNoAudit})
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	s = openAt(t, path, Options{}) // reclaims +14155550001's lease: the first record of its trail
	var layout []byte
	s.db.View(func(tx *bolt.Tx) error { layout = append(layout, tx.Bucket(bMeta).Get(keyFormat)...); return nil })
	if len(layout) != 1 || layout[0] != format {
		t.Fatalf("layout after open %v, want %d", layout, format)
	}
	st, trail := mustLookup(t, s, "+14155550001")
	if st.State != queue.StatePending || kindsOf(trail) != "failed" || trail[0].Detail != errOrphaned {
		t.Fatalf("reclaimed entry: %+v %+v", st, trail)
	}
	st, trail = mustLookup(t, s, "+14155550002")
	if st.State != queue.StatePending || len(trail) != 0 || !st.FirstRequestedAt.IsZero() {
		t.Fatalf("an entry from before the trail: %+v %+v", st, trail)
	}
	// Event ids from before the upgrade are still known; new events are recorded.
	if res, err := s.Enqueue(ctx, []queue.Event{event("+14155550001", "evt-1", now),
		event("+14155550002", "", now.Add(time.Second))}); err != nil || res[0] != queue.Duplicate || res[1] != queue.Merged {
		t.Fatalf("enqueue after the upgrade: %v %v", res, err)
	}
	items, _ := s.Claim(ctx, 10, time.Minute)
	if err := s.Ack(ctx, items); err != nil {
		t.Fatal(err)
	}
	st, trail = mustLookup(t, s, "+14155550002")
	if st.State != queue.StateSynced || kindsOf(trail) != "received confirmed" ||
		!st.FirstRequestedAt.Equal(now.Add(time.Second)) {
		t.Fatalf("after the upgrade: %+v %s", st, kindsOf(trail))
	}
	s.Close()
	checkFile(t, path)

	// A file of a newer layout is refused, not misread.
	db, err = bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bMeta).Put(keyFormat, []byte{format + 1}) })
	db.Close()
	if s, err := Open(path, Options{}); err == nil {
		s.Close()
		t.Fatal("a file of a newer layout opened")
	}
}

// TrimAudit works in transactions of trimBatch records, goes on where the last one stopped, and
// keeps each number's newest record however old.
func TestTrimInSeveralTransactions(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	path := filepath.Join(t.TempDir(), "queue.db")
	s := openAt(t, path, Options{Now: c.Now})
	const hot, cold = 10, 5 // hot numbers get a record after the cutoff too, cold ones do not
	old := 2*trimBatch + trimBatch/2
	evs := make([]queue.Event, 0, 500)
	for i := range old {
		var num string
		if i < cold*3 {
			num = fmt.Sprintf("+1415666%04d", i%cold)
		} else {
			num = fmt.Sprintf("+1415555%04d", i%hot)
		}
		evs = append(evs, event(num, "", c.Now()))
		if len(evs) == cap(evs) || i == old-1 {
			if _, err := s.Enqueue(ctx, evs); err != nil {
				t.Fatal(err)
			}
			evs = evs[:0]
		}
	}
	c.add(time.Hour)
	cutoff := c.Now()
	for i := range hot {
		evs = append(evs, event(fmt.Sprintf("+1415555%04d", i), "", c.Now()))
	}
	if _, err := s.Enqueue(ctx, evs); err != nil {
		t.Fatal(err)
	}

	before := writeTxID(t, s)
	n, err := s.TrimAudit(ctx, cutoff)
	if err != nil {
		t.Fatal(err)
	}
	if want := old - cold; n != want {
		t.Fatalf("trimmed %d, want %d (all old records but the newest of each cold number)", n, want)
	}
	// old records to look at, then the first one at the cutoff stops the third transaction
	// (rejections have their own trim, TrimRejections).
	if txs := writeTxID(t, s) - before; txs != 3 {
		t.Fatalf("trim took %d transactions, want 3 of at most %d records", txs, trimBatch)
	}
	for i := range cold {
		if _, trail := mustLookup(t, s, fmt.Sprintf("+1415666%04d", i)); len(trail) != 1 || !trail[0].At.Before(cutoff) {
			t.Fatalf("cold number %d: trail %+v, want its newest (old) record", i, trail)
		}
	}
	if _, trail := mustLookup(t, s, "+14155550000"); len(trail) != 1 || trail[0].At.Before(cutoff) {
		t.Fatalf("hot number: trail %+v, want the record after the cutoff", trail)
	}
	if n, err := s.TrimAudit(ctx, cutoff); err != nil || n != 0 {
		t.Fatalf("a second trim removed %d (%v)", n, err)
	}
	if n, err := s.TrimAudit(ctx, time.Time{}); err != nil || n != 0 {
		t.Fatalf("a trim with a zero cutoff removed %d (%v)", n, err)
	}
	if all := exportAll(t, s, time.Time{}, time.Time{}); len(all) != cold+hot {
		t.Fatalf("export after trim: %d records, want %d", len(all), cold+hot)
	}
	s.Close()
	checkFile(t, path)
}

// Export pages through the log; a window finds its start by binary search, also across the gaps
// that trimming leaves, and compares at the millisecond.
func TestExportWindows(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	t0 := c.Now()
	s := openAt(t, filepath.Join(t.TempDir(), "queue.db"), Options{Now: c.Now})
	// 60 calls of 50 events, one millisecond apart: 3,000 records, 50 per write time. Numbers
	// repeat every 7 calls so that a trim leaves gaps.
	for call := range 60 {
		evs := make([]queue.Event, 50)
		for i := range evs {
			evs[i] = event(fmt.Sprintf("+1415555%02d%02d", call%7, i), "", c.Now())
		}
		if _, err := s.Enqueue(ctx, evs); err != nil {
			t.Fatal(err)
		}
		c.add(time.Millisecond)
	}
	check := func(all []queue.AuditRecord) {
		t.Helper()
		// Windows in milliseconds after t0; -1: open. Bounds 1µs past a millisecond compare as
		// that millisecond, as redisq's stream ids do.
		for _, w := range [][2]int{{-1, -1}, {0, 60}, {-5, 1}, {1, 2}, {17, 43}, {41, 42}, {59, 100}, {60, 61},
			{30, 30}, {31, 30}} {
			for _, jitter := range []time.Duration{0, time.Microsecond} {
				var since, until time.Time
				if w[0] >= 0 {
					since = t0.Add(time.Duration(w[0])*time.Millisecond + jitter)
				}
				if w[1] >= 0 {
					until = t0.Add(time.Duration(w[1])*time.Millisecond + jitter)
				}
				checkWindow(t, s, all, since, until)
			}
		}
	}
	all := exportAll(t, s, time.Time{}, time.Time{})
	if len(all) != 3000 {
		t.Fatalf("exported %d records, want 3000", len(all))
	}
	if got := exportAll(t, s, t0.Add(10*time.Millisecond+time.Microsecond), t0.Add(11*time.Millisecond+time.Microsecond)); len(got) != 50 ||
		!got[0].At.Equal(t0.Add(10*time.Millisecond)) {
		t.Fatalf("window of a millisecond given to the microsecond: %d records", len(got))
	}
	check(all)
	if _, err := s.TrimAudit(ctx, t0.Add(40*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	all = exportAll(t, s, time.Time{}, time.Time{})
	if len(all) == 3000 || len(all) < 20*50 {
		t.Fatalf("after trim %d records", len(all))
	}
	check(all)
	// fn's error ends the export and comes back as it is.
	stop := fmt.Errorf("stop")
	if err := s.Export(ctx, time.Time{}, time.Time{}, func(queue.AuditRecord) error { return stop }); err != stop {
		t.Fatalf("Export returned %v, want fn's error", err)
	}
}

// checkWindow compares Export(since, until) with the records of all in the window, at the
// millisecond.
func checkWindow(t *testing.T, s *Store, all []queue.AuditRecord, since, until time.Time) {
	t.Helper()
	var want []queue.AuditRecord
	for _, r := range all {
		if (since.IsZero() || ms(r.At) >= ms(since)) && (until.IsZero() || ms(r.At) < ms(until)) {
			want = append(want, r)
		}
	}
	got := exportAll(t, s, since, until)
	if len(got) != len(want) {
		t.Fatalf("window [%v, %v): %d records, want %d", since, until, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("window [%v, %v): record %d is %+v, want %+v", since, until, i, got[i], want[i])
		}
	}
}

// When the clock steps back, records keep the newest time written, so that At never decreases
// along the log and windows stay exact.
func TestAuditTimeNeverDecreases(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	path := filepath.Join(t.TempDir(), "queue.db")
	s := openAt(t, path, Options{Now: c.Now})
	t0 := c.Now()
	s.Enqueue(ctx, []queue.Event{event("+14155550001", "", t0)})
	c.add(-time.Minute)
	s.Enqueue(ctx, []queue.Event{event("+14155550002", "", t0)})
	c.add(2 * time.Minute)
	s.Enqueue(ctx, []queue.Event{event("+14155550003", "", t0)})
	all := exportAll(t, s, time.Time{}, time.Time{})
	if len(all) != 3 || !all[0].At.Equal(t0) || !all[1].At.Equal(t0) || !all[2].At.Equal(t0.Add(time.Minute)) {
		t.Fatalf("records %+v", all)
	}
	if got := exportAll(t, s, time.Time{}, t0.Add(time.Millisecond)); len(got) != 2 {
		t.Fatalf("window: %+v", got)
	}
	s.Close()
	checkFile(t, path)
}

// Recovered leases, at run time and at open, are recorded like any failed push.
func TestRecoveriesRecorded(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	path := filepath.Join(t.TempDir(), "queue.db")
	s, err := Open(path, Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	s.Enqueue(ctx, []queue.Event{event("+14155550001", "", c.Now())})
	s.Claim(ctx, 1, time.Minute)
	c.add(2 * time.Minute)
	if n, err := s.Recover(ctx, 2); err != nil || n != 1 {
		t.Fatalf("recover %d %v", n, err)
	}
	s.Claim(ctx, 1, time.Minute)
	c.add(2 * time.Minute)
	s.Recover(ctx, 2)
	st, trail := mustLookup(t, s, "+14155550001")
	if st.State != queue.StateDead || st.LastError != errLeaseExpired || kindsOf(trail) != "received failed dead" ||
		trail[1].Detail != errLeaseExpired || trail[2].Action != queue.Add {
		t.Fatalf("recovered: %+v %+v", st, trail)
	}
	s.Enqueue(ctx, []queue.Event{event("+14155550002", "", c.Now())})
	s.Claim(ctx, 1, time.Hour)
	s.Close() // crashed holding +14155550002
	s = openAt(t, path, Options{Now: c.Now, MaxLostLeases: 1})
	st, trail = mustLookup(t, s, "+14155550002")
	if st.State != queue.StateDead || st.LastError != errOrphaned || kindsOf(trail) != "received dead" {
		t.Fatalf("reclaimed at open: %+v %+v", st, trail)
	}
	s.Close()
	checkFile(t, path)
}

// Rejection keys can be long or hold any byte: the trail keys them by digest and still finds them.
func TestRejectionKeysOfAnyInput(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "queue.db")
	s := openAt(t, path, Options{})
	raws := []string{"no digits \x00 at all", strings.Repeat("x", 70_000), "\xff\xfe", "+1 (415) 555"}
	for _, raw := range append(raws, "", "   ") {
		if err := s.Reject(ctx, queue.Rejection{Raw: raw, Reason: "invalid", ReceivedAt: time.Now()}); err != nil {
			t.Fatalf("reject %.20q: %v", raw, err)
		}
	}
	if err := s.Reject(ctx, queue.Rejection{Raw: "1415555", Reason: "too_short", ReceivedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	for _, raw := range raws {
		st, trail := mustLookup(t, s, queue.RejectionKey(raw))
		kept := false
		for _, r := range trail {
			kept = kept || r.Raw == queue.Cut(raw, queue.MaxRawLen) && r.Number == queue.RejectionKey(raw)
		}
		if st.State != queue.StateRejected || !kept {
			t.Fatalf("rejection %.20q: %+v %d records", raw, st, len(trail))
		}
	}
	// "+1 (415) 555" and "1415555" share a key; "" and "   " have none: they are in the log only.
	if _, trail := mustLookup(t, s, queue.RejectionKey("1415555")); kindsOf(trail) != "rejected rejected" {
		t.Fatalf("rejections of the same digits: %s", kindsOf(trail))
	}
	if k := queue.RejectionKey("   "); k != "" {
		t.Fatalf("blank input keyed %q", k)
	}
	if n := len(exportAll(t, s, time.Time{}, time.Time{})); n != len(raws)+3 {
		t.Fatalf("the log has %d records, want %d", n, len(raws)+3)
	}
	if _, found, err := s.Lookup(ctx, queue.RejectionKey("other"), queue.Page{}); found || err != nil {
		t.Fatalf("an input never rejected found: %v %v", found, err)
	}
	s.Close()
	checkFile(t, path)
}

// States pages through the numbers (not rejection keys) with the queue's word on their state.
func TestStatesPages(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "queue.db")
	s := openAt(t, path, Options{})
	const n = 2*statesPage + 5
	now := time.Now().Add(-time.Minute)
	evs := make([]queue.Event, n)
	for i := range evs {
		evs[i] = event(fmt.Sprintf("+1415555%04d", i), "", now)
	}
	if _, err := s.Enqueue(ctx, evs); err != nil {
		t.Fatal(err)
	}
	items, err := s.Claim(ctx, 1001, time.Minute)
	if err != nil || len(items) != 1001 {
		t.Fatalf("claim %d %v", len(items), err)
	}
	if err := s.DeadLetter(ctx, items[1000], "refused"); err != nil {
		t.Fatal(err)
	}
	if err := s.Ack(ctx, items[:1000]); err != nil {
		t.Fatal(err)
	}
	s.Reject(ctx, queue.Rejection{Raw: "12", Reason: "too_short"}, queue.Rejection{Raw: "x", Reason: "invalid"})
	count := map[queue.State]int{}
	seen := map[string]bool{}
	err = s.States(ctx, func(st queue.NumberState) error {
		if seen[st.Number] || !strings.HasPrefix(st.Number, "+1415555") {
			t.Errorf("States: %q twice or not a number", st.Number)
		}
		seen[st.Number] = true
		count[st.State]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if count[queue.StateSynced] != 1000 || count[queue.StateDead] != 1 || count[queue.StatePending] != n-1001 || len(count) != 3 {
		t.Fatalf("States counted %v", count)
	}
	stop := fmt.Errorf("stop")
	calls := 0
	if err := s.States(ctx, func(queue.NumberState) error { calls++; return stop }); err != stop || calls != 1 {
		t.Fatalf("States returned %v after %d calls, want fn's error after 1", err, calls)
	}
	s.Close()
	checkFile(t, path)
}

// A dead letter of an entry that changed in flight records a failure, not a death, as redisq does.
func TestChangedDeadLetterRecorded(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "queue.db"), Options{})
	now := time.Now().Add(-time.Minute)
	s.Enqueue(ctx, []queue.Event{event("+14155550001", "", now)})
	items, _ := s.Claim(ctx, 1, time.Minute)
	rm := event("+14155550001", "", now.Add(time.Second))
	rm.Action = queue.Remove
	s.Enqueue(ctx, []queue.Event{rm})
	if err := s.DeadLetter(ctx, items[0], "refused"); err != nil {
		t.Fatal(err)
	}
	st, trail := mustLookup(t, s, "+14155550001")
	if st.State != queue.StatePending || kindsOf(trail) != "received received failed" || trail[2].Detail != "refused" {
		t.Fatalf("state %+v trail %+v", st, trail)
	}
}
