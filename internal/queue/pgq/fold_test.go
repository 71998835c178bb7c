package pgq_test

import (
	"context"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/pgq"
)

// A destination's newest confirmation of a number is held by the number's destination row, the
// one it replaces moves to confirmation_log, and the trail shows both, in order, as written.
func TestConfirmationFolded(t *testing.T) {
	t.Parallel()
	url := migrated(t)
	c := &clock{t: at(2026, 1, 10)}
	s := open(t, url, pgq.Options{Now: c.Now})
	ctx := context.Background()
	db := conn(t, url)
	const num = "+14155550003"
	push := func(action queue.Action, scope string) {
		t.Helper()
		now := c.Now()
		if _, err := s.Enqueue(ctx, []queue.Event{{Number: num, Raw: num, Action: action, Scope: scope,
			OccurredAt: now, ReceivedAt: now}}); err != nil {
			t.Fatal(err)
		}
		items, err := s.Claim(ctx, 10, time.Minute)
		if err != nil || len(items) != 1 {
			t.Fatalf("claim: %v %v", items, err)
		}
		c.set(now.Add(time.Hour))
		if err := s.Ack(ctx, items); err != nil {
			t.Fatal(err)
		}
	}
	counts := func() (logged, held int) {
		t.Helper()
		if err := db.QueryRow(ctx, `SELECT (SELECT count(*) FROM confirmation_log),
			(SELECT count(*) FROM number_destinations WHERE confirmed_seq IS NOT NULL)`).Scan(&logged, &held); err != nil {
			t.Fatal(err)
		}
		return logged, held
	}
	push(queue.Add, "calls")
	if l, h := counts(); l != 0 || h != 1 {
		t.Fatalf("after one confirmation: %d logged, %d held; want 0, 1", l, h)
	}
	c.set(at(2026, 2, 10))
	push(queue.Remove, "")
	if l, h := counts(); l != 1 || h != 1 {
		t.Fatalf("after a second confirmation: %d logged, %d held; want 1, 1", l, h)
	}
	h, _, err := s.Lookup(ctx, num, queue.Page{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range h.Records {
		got = append(got, string(r.Kind)+" "+string(r.Action)+" "+r.Scope+" "+r.At.UTC().Format(time.RFC3339))
	}
	want := []string{
		"received add calls 2026-01-10T12:00:00Z", "confirmed add calls 2026-01-10T13:00:00Z",
		"received remove  2026-02-10T12:00:00Z", "confirmed remove  2026-02-10T13:00:00Z",
	}
	if len(got) != len(want) {
		t.Fatalf("trail %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("trail %q, want %q", got, want)
		}
	}
	// The replaced confirmation went to its own month's partition.
	var n int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM confirmation_log_p202601 WHERE action = 'add' AND scope = 'calls'`).
		Scan(&n); err != nil || n != 1 {
		t.Fatalf("January's partition holds %d replaced confirmations (%v), want 1", n, err)
	}
}
