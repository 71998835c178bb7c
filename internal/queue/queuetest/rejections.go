package queuetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// RejectionsOpener opens a store with lim as its limits on rejected input, for one test. crowd
// brings that store past lim.MaxFill (or the default) of its limit as a real one gets there (Redis:
// maxmemory just above used_memory; the embedded store: a filesystem that full), leaving room for
// opt-outs.
type RejectionsOpener func(t *testing.T, lim queue.RejectionLimits) (s queue.Store, crowd func())

// RunRejections runs the part of the suite about rejected input's limits (queue/rejections.go).
func RunRejections(t *testing.T, open RejectionsOpener) {
	tests := map[string]func(*testing.T, *rejBundle){
		"KeptCompact":                     testRejectionCompact,
		"SameRejectionRecordedOnce":       testRejectionOnce,
		"CapShedsOldestWhole":             testRejectionCap,
		"RetentionTrimsWhole":             testRejectionRetention,
		"CrowdedStoreKeepsRoomForOptOuts": testRejectionHeadroom,
	}
	limits := map[string]queue.RejectionLimits{"CapShedsOldestWhole": {Cap: 3}}
	for _, n := range slices.Sorted(maps.Keys(tests)) {
		t.Run(n, func(t *testing.T) {
			s, crowd := open(t, limits[n])
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			t.Cleanup(cancel)
			tests[n](t, &rejBundle{ctx: ctx, s: s, crowd: crowd,
				base: time.Now().Add(-time.Hour).Truncate(time.Millisecond)})
		})
	}
}

type rejBundle struct {
	ctx   context.Context
	s     queue.Store
	crowd func()
	base  time.Time
}

// junk is the i-th distinct rejection of raw input: its own key, event id and body.
func (b *rejBundle) junk(i int) queue.Rejection {
	return queue.Rejection{Raw: fmt.Sprintf("12%d", i), Body: fmt.Sprintf(`{"phoneNumber":"12%d","id":"e%d"}`, i, i),
		Reason: "too_short", Region: "US", Source: "web", EventID: fmt.Sprintf("e%d", i),
		ReceivedAt: b.base.Add(time.Duration(i) * time.Millisecond)}
}

func (b *rejBundle) reject(t *testing.T, rs ...queue.Rejection) {
	t.Helper()
	if err := b.s.Reject(b.ctx, rs...); err != nil {
		t.Fatalf("Reject: %v", err)
	}
}

func (b *rejBundle) stats(t *testing.T) queue.RejectionStats {
	t.Helper()
	st, err := b.s.RejectionStats(b.ctx)
	if err != nil {
		t.Fatalf("RejectionStats: %v", err)
	}
	return st
}

// listed is the event ids of the rejections kept, newest first.
func (b *rejBundle) listed(t *testing.T) []string {
	t.Helper()
	rs, err := b.s.Rejections(b.ctx, 100)
	if err != nil {
		t.Fatalf("Rejections: %v", err)
	}
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.EventID
	}
	return out
}

// found reports whether a lookup of key finds anything, and the kinds of its trail.
func (b *rejBundle) found(t *testing.T, key string) (bool, string) {
	t.Helper()
	h, ok, err := b.s.Lookup(b.ctx, key, queue.Page{})
	if err != nil {
		t.Fatalf("Lookup(%s): %v", key, err)
	}
	return ok, kinds(h.Records)
}

func (b *rejBundle) exported(t *testing.T) int {
	t.Helper()
	n := 0
	if err := b.s.Export(b.ctx, time.Time{}, time.Time{}, func(queue.AuditRecord) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// A rejection keeps the first MaxBodyLen bytes of what arrived, with the SHA-256 and size of all.
func testRejectionCompact(t *testing.T, b *rejBundle) {
	body := `{"phoneNumber":"12","note":"` + strings.Repeat("é", 40000) + `"}`
	r := b.junk(1)
	r.Body = body
	b.reject(t, r, queue.Rejection{Raw: "1 2 3 4", Reason: "too_short", ReceivedAt: b.base.Add(time.Second)})
	rs, err := b.s.Rejections(b.ctx, 10)
	if err != nil || len(rs) != 2 {
		t.Fatalf("Rejections %d, %v", len(rs), err)
	}
	got := rs[1]
	if len(got.Body) > queue.MaxBodyLen || len(got.Body) < queue.MaxBodyLen-3 || !strings.HasPrefix(body, got.Body) {
		t.Fatalf("kept a body of %d bytes %q, want the first %d bytes", len(got.Body), got.Body, queue.MaxBodyLen)
	}
	if got.Hash != sha(body) || got.Bytes != len(body) {
		t.Fatalf("kept hash %q and size %d, want %q and %d", got.Hash, got.Bytes, sha(body), len(body))
	}
	if noBody := rs[0]; noBody.Hash != sha("1 2 3 4") || noBody.Bytes != 7 || noBody.Body != "" {
		t.Fatalf("input without a body: %+v, want the hash and size of its raw text", noBody)
	}
	if st := b.stats(t); st.Kept != 2 || st.Recorded != 2 || st.Cap != queue.DefaultRejectionCap {
		t.Fatalf("stats %+v", st)
	}
}

// The same rejection again (same event id, same text, same key) is not recorded twice, in one call
// or across calls; another text or another key under the same id is; input without an id always is.
func testRejectionOnce(t *testing.T, b *rejBundle) {
	r := b.junk(1)
	b.reject(t, r)
	b.reject(t, r)
	b.reject(t, r, r)
	if got := b.listed(t); fmt.Sprint(got) != "[e1]" {
		t.Fatalf("listed %v after the same rejection four times", got)
	}
	if _, trail := b.found(t, queue.RejectionKey(r.Raw)); trail != "[rejected]" {
		t.Fatalf("trail %s, want one record", trail)
	}
	other := r
	other.Body += " "
	b.reject(t, other)
	// One event refused under two keys (each of its numbers) is two rejections.
	a, c := b.junk(2), b.junk(2)
	c.Raw = "99"
	b.reject(t, a, c)
	noID := b.junk(3)
	noID.EventID = ""
	b.reject(t, noID, noID)
	if got := b.listed(t); len(got) != 6 {
		t.Fatalf("listed %v, want e1 twice (another text), e2 twice (two keys) and two without an id", got)
	}
	if st := b.stats(t); st.Recorded != 6 || st.Duplicates != 3 || st.Kept != 6 {
		t.Fatalf("stats %+v, want 6 recorded and 3 duplicates", st)
	}
}

// Past the cap (3 here) the oldest rejections go whole: entry, audit record, and the state of a
// key that saw nothing else. A number's other records stay.
func testRejectionCap(t *testing.T, b *rejBundle) {
	const num = "+14155550001"
	q := &testBundle{ctx: b.ctx, q: b.s, base: b.base}
	q.enqueue(t, q.ev(num, 0))
	q.ackAll(t)
	refused := queue.Rejection{Number: num, Raw: num, Body: `{"expiresAt":"2001-01-01T00:00:00Z"}`, Reason: "expires_in_past",
		EventID: "refused", ReceivedAt: b.base}
	b.reject(t, refused)
	if _, trail := b.found(t, num); trail != "[received confirmed rejected]" {
		t.Fatalf("trail before the cap %s", trail)
	}
	for i := 1; i <= 4; i++ {
		b.reject(t, b.junk(i))
	}
	if got := b.listed(t); fmt.Sprint(got) != "[e4 e3 e2]" {
		t.Fatalf("listed %v, want the newest 3", got)
	}
	if st := b.stats(t); st.Kept != 3 || st.Shed != 2 || st.Recorded != 5 || st.Cap != 3 {
		t.Fatalf("stats %+v, want 3 kept and 2 shed", st)
	}
	if st, trail := b.found(t, num); !st || trail != "[received confirmed]" {
		t.Fatalf("the number after its refusal was shed: found %v, trail %s", st, trail)
	}
	if ok, trail := b.found(t, queue.RejectionKey(b.junk(1).Raw)); ok {
		t.Fatalf("a shed rejection's key is still found: %s", trail)
	}
	if n := b.exported(t); n != 2+3 {
		t.Fatalf("export has %d records, want the number's 2 and the 3 rejections kept", n)
	}
	// A shed rejection is forgotten, its identity too: sent again, it is recorded again.
	b.reject(t, b.junk(1))
	if got := b.listed(t); fmt.Sprint(got) != "[e1 e4 e3]" {
		t.Fatalf("listed %v after the first again", got)
	}
	if st := b.stats(t); st.Duplicates != 0 || st.Shed != 3 {
		t.Fatalf("stats %+v", st)
	}
}

// Rejections received before the cutoff go whole; a number refused once and never seen since is
// forgotten with them.
func testRejectionRetention(t *testing.T, b *rejBundle) {
	const num = "+14155550002"
	old := queue.Rejection{Number: num, Raw: num, Body: "{}", Reason: "expires_in_past", EventID: "old", ReceivedAt: b.base}
	b.reject(t, old, b.junk(1))
	fresh := b.junk(2)
	fresh.ReceivedAt = time.Now()
	b.reject(t, fresh)
	if ok, _ := b.found(t, num); !ok {
		t.Fatal("the refused number is not found before the trim")
	}
	n, err := b.s.TrimRejections(b.ctx, time.Now().Add(-30*time.Minute))
	if err != nil || n != 2 {
		t.Fatalf("TrimRejections removed %d, %v; want 2", n, err)
	}
	if got := b.listed(t); fmt.Sprint(got) != "[e2]" {
		t.Fatalf("listed %v after the trim", got)
	}
	for _, key := range []string{num, queue.RejectionKey(b.junk(1).Raw)} {
		if ok, trail := b.found(t, key); ok {
			t.Fatalf("%s is still found after its only rejection was trimmed: %s", key, trail)
		}
	}
	if n := b.exported(t); n != 1 {
		t.Fatalf("export has %d records after the trim, want 1", n)
	}
	if st := b.stats(t); st.Kept != 1 || st.Shed != 0 || st.Recorded != 3 {
		t.Fatalf("stats %+v: retention is not shedding", st)
	}
	if n, err := b.s.TrimRejections(b.ctx, time.Now().Add(-30*time.Minute)); err != nil || n != 0 {
		t.Fatalf("a second trim removed %d, %v", n, err)
	}
}

// Past MaxFill of the store's limit, rejections are counted, not written, and opt-outs still are;
// so are words a person said.
func testRejectionHeadroom(t *testing.T, b *rejBundle) {
	b.reject(t, b.junk(1))
	b.crowd()
	if st := b.stats(t); st.Fill < queue.DefaultRejectionMaxFill || st.Fill > 1 {
		t.Fatalf("fill %v after crowding, want at least %v", st.Fill, queue.DefaultRejectionMaxFill)
	}
	b.reject(t, b.junk(2), b.junk(3), b.junk(1))
	if got := b.listed(t); fmt.Sprint(got) != "[e1]" {
		t.Fatalf("listed %v while crowded", got)
	}
	if st := b.stats(t); st.Skipped != 2 || st.Duplicates != 1 || st.Recorded != 1 {
		t.Fatalf("stats %+v, want 2 skipped and 1 duplicate", st)
	}
	const num = "+14155550003"
	q := &testBundle{ctx: b.ctx, q: b.s, base: b.base}
	if st := q.enqueue(t, q.ev(num, 0)); st[0] != queue.Created {
		t.Fatalf("an opt-out while crowded: %v", st)
	}
	said := queue.Rejection{Kind: queue.AuditIgnored, Number: num, Raw: num, Said: "who is this", Reason: "sms_no_keyword",
		ReceivedAt: b.base}
	b.reject(t, said)
	if _, trail := b.found(t, num); trail != "[received ignored]" {
		t.Fatalf("trail %s while crowded, want the opt-out and the words", trail)
	}
}
