package pgq_test

import (
	"context"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/pgq"
)

// The example queries of docs/postgres.md run against a database seeded through the store (two
// destinations, a spring of requests, confirmations, a retry, a dead letter, a rejection), and
// give the answers the text says.
func TestDocQueries(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../../docs/postgres.md")
	if err != nil {
		t.Fatal(err)
	}
	queries := regexp.MustCompile("(?s)```sql\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	// Rows each query returns on the seed below, in the order of the document.
	want := []int{1, 6, 4, 2, 3, 1, 1, 3}
	if len(queries) != len(want) {
		t.Fatalf("docs/postgres.md has %d sql examples, the test knows %d: update both", len(queries), len(want))
	}
	url := migrated(t)
	seed(t, url)
	db := conn(t, url)
	ctx := context.Background()
	for i, q := range queries {
		rows, err := db.Query(ctx, q[1])
		if err != nil {
			t.Fatalf("example %d: %v\n%s", i+1, err, q[1])
		}
		got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([]any, error) { return r.Values() })
		if err != nil {
			t.Fatalf("example %d: %v", i+1, err)
		}
		if len(got) != want[i] {
			t.Errorf("example %d returned %d rows, want %d:\n%s\n%v", i+1, len(got), want[i], q[1], got)
		}
		if i == 0 && len(got) == 1 && got[0][0] != "+14155550001" {
			t.Errorf("example 1 found %v, want +14155550001 (confirmed after 10 days)", got[0][0])
		}
	}
}

func seed(t *testing.T, url string) {
	t.Helper()
	c := &clock{}
	day := func(m time.Month, d int) { c.set(time.Date(2026, m, d, 10, 0, 0, 0, time.UTC)) }
	day(3, 1)
	s := open(t, url, pgq.Options{Destinations: []string{"cxone", "genesys"}, Now: c.Now})
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.RecordDestinations(ctx))
	cx, _ := s.Dest("cxone")
	gn, _ := s.Dest("genesys")
	ask := func(number, source string, a queue.Action) {
		t.Helper()
		now := c.Now()
		_, err := s.Enqueue(ctx, []queue.Event{{Number: number, Raw: number, Action: a, Source: source,
			OccurredAt: now, ReceivedAt: now}})
		must(err)
	}
	claim := func(q queue.Store, want ...string) map[string]queue.Item {
		t.Helper()
		items, err := q.Claim(ctx, 10, time.Hour)
		must(err)
		out := map[string]queue.Item{}
		for _, it := range items {
			out[it.Number] = it
		}
		if len(out) != len(want) {
			t.Fatalf("claimed %v, want %v", out, want)
		}
		return out
	}
	day(3, 2)
	ask("+14155550001", "crm", queue.Add)
	day(3, 3)
	must(gn.Ack(ctx, []queue.Item{claim(gn, "+1")["+14155550001"]}))
	day(3, 5)
	ask("+14155550002", "crm", queue.Add)
	day(3, 6)
	got := claim(cx, "+1", "+2")
	must(cx.Ack(ctx, []queue.Item{got["+14155550002"]}))
	must(cx.Snooze(ctx, got["+14155550001"], 6*24*time.Hour, "503 Service Unavailable"))
	must(gn.Ack(ctx, []queue.Item{claim(gn, "+2")["+14155550002"]}))
	day(3, 10)
	ask("+14155550003", "web", queue.Add)
	day(3, 12)
	got = claim(cx, "+1", "+3")
	must(cx.Ack(ctx, []queue.Item{got["+14155550001"]}))
	must(cx.Snooze(ctx, got["+14155550003"], 13*24*time.Hour, "429 Too Many Requests"))
	must(gn.DeadLetter(ctx, claim(gn, "+3")["+14155550003"], "400 invalid phone number"))
	day(3, 15)
	must(s.Reject(ctx, queue.Rejection{Raw: "12", Reason: "too_short", Source: "web", ReceivedAt: c.Now()}))
	day(3, 25)
	must(cx.Ack(ctx, []queue.Item{claim(cx, "+3")["+14155550003"]}))
	day(4, 2)
	ask("+14155550004", "crm", queue.Add)
	day(4, 10)
	ask("+14155550001", "crm", queue.Remove)
	day(4, 11)
	got = claim(cx, "+1", "+4")
	must(cx.Ack(ctx, []queue.Item{got["+14155550001"]}))
	must(cx.Snooze(ctx, got["+14155550004"], time.Hour, "503 Service Unavailable"))
}
