package pgq_test

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/pgtest"
	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/pgq"
)

// A database of schema 7 with a varied trail (two destinations; a number confirmed twice; a
// failure and a dead letter with its error; a confirmation held by its destination row and one
// not; a stale request; an entry pending and one dead; a rejection) migrates to schema 8, which
// rebuilds number_destinations without its key, stores events' kind and action as codes and
// empty errors as NULL: every view and every example query of docs/postgres.md answers byte for
// byte as before, and the store reads and writes the migrated rows.
func TestMigrateFromSchema7(t *testing.T) {
	t.Parallel()
	url := pgtest7(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	db := conn(t, url)
	for _, q := range []string{
		`CREATE TABLE events_p202603 PARTITION OF events FOR VALUES FROM ('2026-03-01') TO ('2026-04-01')`,
		`CREATE TABLE confirmation_log_p202603 PARTITION OF confirmation_log FOR VALUES FROM ('2026-03-01') TO ('2026-04-01')`,
		`INSERT INTO meta VALUES ('destinations', 'cxone,genesys')`,
		`INSERT INTO numbers VALUES ('+14155550001', 'removed', '2026-03-05', '2026-03-08', 6),
			('+14155550022', 'synced', '2026-03-05', '2026-03-12', 12), ('+14155550023', '', '2026-03-10', '2026-03-10', 11),
			('rejected:12', 'rejected', NULL, NULL, 10)`,
		`INSERT INTO number_destinations (number, destination, state, confirmed_action, confirmed_occurred_at, confirmed_at,
			confirmed_expires_at, last_error, confirmed_seq, confirmed_scope) VALUES
			('+14155550001', 'cxone', 'removed', 'remove', '2026-03-08', '2026-03-09', NULL, '', 6, NULL),
			('+14155550001', 'genesys', 'dead', NULL, NULL, NULL, NULL, 'gone \\ away', NULL, NULL),
			('+14155550022', 'cxone', 'synced', 'add', '2026-03-05', '2026-03-06', '2099-01-05', '', 7, 'calls'),
			('+14155550022', 'genesys', 'synced', 'add', '2026-03-05', '2026-03-07 00:00:00.123', NULL, '', NULL, NULL)`,
		`INSERT INTO events (seq, at, number, kind, action, raw, source, channel, event_id, received_at, occurred_at, purpose)
			VALUES (1, '2026-03-05', '+14155550001', 'received', 'add', '415 555 0021', 'crm', 'web', 'e1', '2026-03-05', '2026-03-05', 'marketing'),
			(5, '2026-03-08', '+14155550001', 'received', 'remove', '', 'crm', 'sms', 'e2', '2026-03-08', '2026-03-08', ''),
			(8, '2026-03-05', '+14155550022', 'received', 'add', '', 'ivr', '', 'e3', '2026-03-05', '2026-03-05', ''),
			(11, '2026-03-10', '+14155550023', 'received', 'add', '', 'crm', '', '', '2026-03-10', '2026-03-10', ''),
			(12, '2026-03-12', '+14155550022', 'stale', 'add', '', 'crm', '', '', '2026-03-12', '2026-03-01', '')`,
		`INSERT INTO confirmation_log (seq, at, number, destination, kind, action, occurred_at, expires_at, detail, scope)
			VALUES (2, '2026-03-16', '+14155550001', 'cxone', 'confirmed', 'add', '2026-03-05', NULL, '', 'calls'),
			(3, '2026-03-06', '+14155550001', 'genesys', 'failed', 'add', NULL, NULL, 'HTTP 503', NULL),
			(4, '2026-03-07', '+14155550001', 'genesys', 'dead', 'add', NULL, NULL, 'gone \\ away', NULL),
			(9, '2026-03-07', '+14155550022', 'genesys', 'confirmed', 'add', '2026-03-05', NULL, '', NULL)`,
		`INSERT INTO rejections (seq, at, number, kind, raw, reason, received_at) VALUES
			(10, '2026-03-09', 'rejected:12', 'rejected', '12', 'too_short', '2026-03-02')`,
		`INSERT INTO queue (destination, number, status, at, action, source, occurred_at, first_received_at,
			last_received_at, attempts, last_error) VALUES
			('cxone', '+14155550023', 'ready', '2026-03-10', 'add', 'crm', '2026-03-10', '2026-03-10', '2026-03-10', 0, ''),
			('genesys', '+14155550023', 'dead', '2026-03-11', 'add', 'crm', '2026-03-10', '2026-03-10', '2026-03-10', 3, 'HTTP 400')`,
		`SELECT setval('audit_seq', 12)`,
	} {
		if _, err := db.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// The doc's examples, with now() fixed: before and after run seconds apart.
	doc, err := os.ReadFile("../../../docs/postgres.md")
	if err != nil {
		t.Fatal(err)
	}
	examples := regexp.MustCompile("(?s)```sql\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	if len(examples) == 0 {
		t.Fatal("no sql examples in docs/postgres.md")
	}
	queries := []string{`SELECT * FROM audit_trail ORDER BY seq`, `SELECT * FROM confirmations ORDER BY seq`,
		`SELECT * FROM request_confirmations ORDER BY seq, destination`,
		`SELECT * FROM number_standing ORDER BY number, destination`, `SELECT * FROM daily_requests ORDER BY 1, 2, 3, 4`,
		`SELECT * FROM dead_letters ORDER BY destination, number`}
	for _, e := range examples {
		queries = append(queries, strings.ReplaceAll(e[1], "now()", "'2026-04-01'::timestamptz"))
	}
	answers := func() []string {
		t.Helper()
		var out []string
		for _, q := range queries {
			var s string
			if err := db.QueryRow(ctx, `SELECT coalesce(string_agg(row_to_json(v)::text, E'\n'), '') FROM (`+
				strings.TrimSuffix(strings.TrimSpace(q), ";")+`) v`).Scan(&s); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			if s == "" {
				t.Fatalf("%s answers nothing on the seed: the comparison would prove nothing", q)
			}
			out = append(out, s)
		}
		return out
	}
	before := answers()
	if done, err := pgq.Migrate(ctx, url, false); err != nil || len(done) == 0 || done[0].Version != 8 {
		t.Fatalf("migrate from 7: %v %v", done, err)
	}
	after := answers()
	for i := range queries {
		if before[i] != after[i] {
			t.Errorf("%s answers differently after the migration:\nbefore:\n%s\nafter:\n%s", queries[i], before[i], after[i])
		}
	}
	var codes string
	var nulls, rows int
	if err := db.QueryRow(ctx, `SELECT (SELECT string_agg(kind::text || action::text, ',' ORDER BY seq) FROM events),
		(SELECT count(*) FILTER (WHERE last_error IS NULL) FROM number_destinations),
		(SELECT count(*) FROM number_destinations)`).Scan(&codes, &nulls, &rows); err != nil {
		t.Fatal(err)
	}
	if codes != "ra,rr,ra,ra,sa" || nulls != 3 || rows != 4 {
		t.Fatalf("after the migration: event codes %s (want ra,rr,ra,ra,sa), %d of %d errors NULL (want 3 of 4)", codes,
			nulls, rows)
	}
	// The store reads the migrated rows, and writes over them rather than beside them.
	s := open(t, url, pgq.Options{Destinations: []string{"cxone", "genesys"}})
	h, found, err := s.Lookup(ctx, "+14155550022", queue.Page{})
	if err != nil || !found || h.State.State != queue.StateSynced || len(h.Records) != 4 {
		t.Fatalf("lookup of +22 after the migration: %+v %v %v", h, found, err)
	}
	now := time.Now()
	if _, err := s.Enqueue(ctx, []queue.Event{{Number: "+14155550022", Action: queue.Remove, OccurredAt: now,
		ReceivedAt: now}}); err != nil {
		t.Fatal(err)
	}
	claimed := 0
	for _, d := range s.Destinations() {
		ds, err := s.Dest(d)
		if err != nil {
			t.Fatal(err)
		}
		items, err := ds.Claim(ctx, 10, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if err := ds.Ack(ctx, items); err != nil {
			t.Fatal(err)
		}
		claimed += len(items)
	}
	if claimed != 3 {
		t.Fatalf("claimed %d items; want +22 at both destinations and +23 at cxone", claimed)
	}
	var dup int
	if err := db.QueryRow(ctx, `SELECT (SELECT count(*) FROM number_destinations), (SELECT count(*) FROM
		(SELECT 1 FROM number_destinations GROUP BY number, destination HAVING count(*) > 1) d)`).Scan(&rows, &dup); err != nil ||
		rows != 5 || dup != 0 {
		t.Fatalf("destination rows after the pushes: %d (want 5: +23's cxone added), %d duplicated (%v)", rows, dup, err)
	}
	h, _, err = s.Lookup(ctx, "+14155550022", queue.Page{})
	if err != nil || h.State.State != queue.StateRemoved || h.State.Destinations["genesys"].State != queue.StateRemoved {
		t.Fatalf("+22 after its remove was confirmed: %+v %v", h.State, err)
	}
}

// pgtest7 is a fresh schema migrated to schema 7.
func pgtest7(t *testing.T) string {
	t.Helper()
	url := pgtest.Schema(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := pgq.MigrateTo(ctx, url, 7, false); err != nil {
		t.Fatal(err)
	}
	return url
}
