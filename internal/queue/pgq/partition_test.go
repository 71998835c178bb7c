package pgq_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/pgq"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time               { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time)              { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func at(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, time.UTC) }

// Retention drops whole months: their partitions go, each number's newest record stays (moved to
// the default partition), and the month the cutoff falls in is trimmed to the cutoff.
func TestRetentionDropsMonths(t *testing.T) {
	t.Parallel()
	url := migrated(t)
	c := &clock{t: at(2020, 1, 10)}
	s := open(t, url, pgq.Options{Now: c.Now})
	ctx := context.Background()
	enq := func(number string) {
		t.Helper()
		now := c.Now()
		if _, err := s.Enqueue(ctx, []queue.Event{{Number: number, Raw: number, Action: queue.Add, OccurredAt: now,
			ReceivedAt: now}}); err != nil {
			t.Fatal(err)
		}
	}
	enq("+14155550001") // January: received
	enq("+14155550002") // January: received, its only record
	items, _ := s.Claim(ctx, 10, time.Minute)
	c.set(at(2020, 2, 10))
	if err := s.Ack(ctx, items); err != nil { // February: both confirmed
		t.Fatal(err)
	}
	c.set(at(2020, 3, 10))
	enq("+14155550001") // March: received again
	c.set(at(2020, 3, 20))
	db := conn(t, url)
	months := func() []bool {
		var out []bool
		for _, p := range []string{"events_p202001", "events_p202002", "events_p202003", "confirmation_log_p202002"} {
			var ok bool
			if err := db.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, p).Scan(&ok); err != nil {
				t.Fatal(err)
			}
			out = append(out, ok)
		}
		return out
	}
	if got := fmt.Sprint(months()); got != "[true true true true]" {
		t.Fatalf("partitions before the trim: %s", got)
	}
	// Cutoff mid-March: January and February go whole; March's records before the 15th go row by row.
	n, err := s.TrimAudit(ctx, at(2020, 3, 15))
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(months()); got != "[false false true false]" {
		t.Fatalf("partitions after the trim (Jan, Feb, Mar, confirmations' Feb): %s, want January and February dropped", got)
	}
	// Gone: +1's January received and February confirmed; +2's January received (its newest is
	// the February confirmation, which stays).
	if n != 3 {
		t.Fatalf("trimmed %d, want 3", n)
	}
	h, _, err := s.Lookup(ctx, "+14155550002", queue.Page{})
	if err != nil || len(h.Records) != 1 || h.Records[0].Kind != queue.AuditConfirmed {
		t.Fatalf("+2 after trim: %+v %v, want its newest (confirmed) kept", h.Records, err)
	}
	if h.State.State != queue.StateSynced {
		t.Fatalf("+2 state %q after trim", h.State.State)
	}
	h, _, _ = s.Lookup(ctx, "+14155550001", queue.Page{})
	if len(h.Records) != 1 || h.Records[0].Kind != queue.AuditReceived {
		t.Fatalf("+1 after trim: %+v", h.Records)
	}
	// Confirmations are held by their destination's row (schema 6): +2's stays there, +1's went.
	var held []string
	rows, err := db.Query(ctx, `SELECT number FROM number_destinations WHERE confirmed_seq IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		held = append(held, n)
	}
	if fmt.Sprint(held) != "[+14155550002]" {
		t.Fatalf("confirmations held by destination rows after the trim: %v, want +2's", held)
	}
}
