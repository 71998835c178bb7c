package pgq_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/pgtest"
	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/pgq"
)

// A database of release 1's schema (version 2: the views came with it) with evidence in it
// migrates to this build's: the evidence stays readable, and the views answer from it.
func TestMigrateFromRelease1(t *testing.T) {
	t.Parallel()
	url := pgtest.Schema(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := pgq.MigrateTo(ctx, url, 2, false); err != nil {
		t.Fatal(err)
	}
	db := conn(t, url)
	// What release 1 wrote: a number synced at CXone, its request and the confirmation.
	for _, q := range []string{
		`CREATE TABLE events_p202601 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2026-02-01')`,
		`CREATE TABLE confirmations_p202601 PARTITION OF confirmations FOR VALUES FROM ('2026-01-01') TO ('2026-02-01')`,
		`INSERT INTO meta VALUES ('destinations', 'cxone')`,
		`INSERT INTO numbers VALUES ('+14155550001', 'synced', '2026-01-05', '2026-01-05', 2)`,
		`INSERT INTO number_destinations VALUES ('+14155550001', 'cxone', 'synced', 'add', '2026-01-05', '2026-01-06', NULL, '')`,
		`INSERT INTO events (seq, at, number, kind, action, source, received_at, occurred_at)
			VALUES (nextval('audit_seq'), '2026-01-05', '+14155550001', 'received', 'add', 'c\rm\0', '2026-01-05', '2026-01-05')`,
		`INSERT INTO confirmations (seq, at, number, destination, kind, action, occurred_at)
			VALUES (nextval('audit_seq'), '2026-01-06', '+14155550001', 'cxone', 'confirmed', 'add', '2026-01-05')`,
	} {
		if _, err := db.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := pgq.Open(ctx, url, pgq.Options{}); err == nil {
		t.Fatal("the store opened a schema of the previous release")
	}
	done, err := pgq.Migrate(ctx, url, false)
	if err != nil || len(done) != pgq.SchemaVersion-2 || done[len(done)-1].Version != pgq.SchemaVersion {
		t.Fatalf("migrate from 2: %v %v", done, err)
	}
	s := open(t, url, pgq.Options{})
	h, found, err := s.Lookup(ctx, "+14155550001", queue.Page{})
	if err != nil || !found || h.State.State != queue.StateSynced || len(h.Records) != 2 {
		t.Fatalf("lookup after the migration: %+v %v %v", h, found, err)
	}
	// Text written before schema 3 was not escaped: the migration escapes it, so it reads back as written.
	var sources []string
	for _, r := range h.Records {
		if r.Kind == queue.AuditReceived {
			sources = append(sources, r.Source)
		}
	}
	if len(sources) != 1 || sources[0] != `c\rm\0` {
		t.Errorf("sources after the migration: %q, want one %q", sources, `c\rm\0`)
	}
	var took time.Duration
	if err := db.QueryRow(ctx, `SELECT took FROM request_confirmations WHERE number = '+14155550001'
		AND destination = 'cxone'`).Scan(&took); err != nil || took != 24*time.Hour {
		t.Fatalf("request_confirmations after the migration: %v %v", took, err)
	}
}

// A database of the previous schema (3) with a number in it migrates to this build's: the number
// reads back, and the tables carry the storage settings of schema 4.
func TestMigrateFromSchema3(t *testing.T) {
	t.Parallel()
	url := pgtest.Schema(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := pgq.MigrateTo(ctx, url, 3, false); err != nil {
		t.Fatal(err)
	}
	db := conn(t, url)
	for _, q := range []string{
		`INSERT INTO meta VALUES ('destinations', 'cxone')`,
		`INSERT INTO numbers VALUES ('+14155550002', 'synced', '2026-01-05', '2026-01-05', 1)`,
		`INSERT INTO number_destinations VALUES ('+14155550002', 'cxone', 'synced', 'add', '2026-01-05', '2026-01-06', NULL, '')`,
		`INSERT INTO events (seq, at, number, kind, action, source, received_at, occurred_at, purpose)
			VALUES (nextval('audit_seq'), '2026-01-05', '+14155550002', 'received', 'add', 'crm', '2026-01-05', '2026-01-05', 'marketing')`,
	} {
		if _, err := db.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	done, err := pgq.Migrate(ctx, url, false)
	if err != nil || len(done) != pgq.SchemaVersion-3 || done[0].Version != 4 {
		t.Fatalf("migrate from 3: %v %v", done, err)
	}
	s := open(t, url, pgq.Options{})
	h, found, err := s.Lookup(ctx, "+14155550002", queue.Page{})
	if err != nil || !found || h.State.State != queue.StateSynced || len(h.Records) != 1 || h.Records[0].Purpose != "marketing" {
		t.Fatalf("lookup after the migration: %+v %v %v", h, found, err)
	}
	var opts []string
	if err := db.QueryRow(ctx, `SELECT reloptions FROM pg_class WHERE oid = 'numbers'::regclass`).Scan(&opts); err != nil ||
		!slices.Contains(opts, "fillfactor=90") {
		t.Fatalf("numbers' options after the migration: %v %v", opts, err)
	}
}

// A database of schema 5 with a varied trail (two destinations; a number confirmed twice; a
// failure and a dead letter; a confirmation with a scope; one the destination row does not match;
// a rejection) migrates to schema 6, which folds confirmations into destination rows: the views
// auditors read answer byte for byte as before, and the store's export reads the same records.
func TestMigrateFromSchema5(t *testing.T) {
	t.Parallel()
	url := pgtest.Schema(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := pgq.MigrateTo(ctx, url, 5, false); err != nil {
		t.Fatal(err)
	}
	db := conn(t, url)
	for _, q := range []string{
		`CREATE TABLE events_p202601 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2026-02-01')`,
		`CREATE TABLE confirmations_p202601 PARTITION OF confirmations FOR VALUES FROM ('2026-01-01') TO ('2026-02-01')`,
		`INSERT INTO meta VALUES ('destinations', 'cxone,genesys')`,
		`INSERT INTO numbers VALUES ('+14155550011', 'removed', '2026-01-05', '2026-01-08', 7),
			('+14155550012', 'synced', '2026-01-05', '2026-01-05', 9)`,
		`INSERT INTO number_destinations VALUES
			('+14155550011', 'cxone', 'removed', 'remove', '2026-01-08', '2026-01-09', NULL, ''),
			('+14155550011', 'genesys', 'dead', NULL, NULL, NULL, NULL, 'gone \\ away'),
			('+14155550012', 'cxone', 'synced', 'add', '2026-01-05', '2026-01-06', '2027-01-05', ''),
			('+14155550012', 'genesys', 'synced', 'add', '2026-01-05', '2026-01-07 00:00:00.123', NULL, '')`,
		`INSERT INTO events (seq, at, number, kind, action, raw, source, channel, event_id, received_at, occurred_at, purpose)
			VALUES (1, '2026-01-05', '+14155550011', 'received', 'add', '415 555 0011', 'crm', 'web', 'e1', '2026-01-05', '2026-01-05', 'marketing'),
			(5, '2026-01-08', '+14155550011', 'received', 'remove', '', 'crm', 'sms', 'e2', '2026-01-08', '2026-01-08', ''),
			(8, '2026-01-05', '+14155550012', 'received', 'add', '', 'ivr', '', 'e3', '2026-01-05', '2026-01-05', '')`,
		`INSERT INTO confirmations (seq, at, number, destination, kind, action, occurred_at, expires_at, detail, scope, purpose)
			VALUES (2, '2026-01-06', '+14155550011', 'cxone', 'confirmed', 'add', '2026-01-05', NULL, '', 'calls', 'marketing'),
			(3, '2026-01-06', '+14155550011', 'genesys', 'failed', 'add', NULL, NULL, 'HTTP 503', NULL, NULL),
			(4, '2026-01-07', '+14155550011', 'genesys', 'dead', 'add', NULL, NULL, 'gone \\ away', NULL, NULL),
			(6, '2026-01-09', '+14155550011', 'cxone', 'confirmed', 'remove', '2026-01-08', NULL, '', NULL, NULL),
			(7, '2026-01-06', '+14155550012', 'cxone', 'confirmed', 'add', '2026-01-05', '2027-01-05', '', NULL, NULL),
			(9, '2026-01-07', '+14155550012', 'genesys', 'confirmed', 'add', '2026-01-05', NULL, '', NULL, NULL)`,
		`INSERT INTO rejections (seq, at, number, kind, raw, reason) VALUES (10, '2026-01-09', 'rejected:12', 'rejected', '12', 'too_short')`,
		`SELECT setval('audit_seq', 10)`,
	} {
		if _, err := db.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	views := func() string {
		t.Helper()
		var out string
		for _, v := range []string{`audit_trail ORDER BY seq`, `confirmations ORDER BY seq`,
			`request_confirmations ORDER BY seq, destination`, `number_standing ORDER BY number, destination`} {
			var s string
			if err := db.QueryRow(ctx, `SELECT coalesce(string_agg(row_to_json(v)::text, E'\n'), '') FROM (SELECT * FROM `+
				v+`) v`).Scan(&s); err != nil {
				t.Fatalf("%s: %v", v, err)
			}
			out += v + ":\n" + s + "\n"
		}
		return out
	}
	before := views()
	if _, err := pgq.Migrate(ctx, url, false); err != nil {
		t.Fatal(err)
	}
	if after := views(); after != before {
		t.Fatalf("the views differ after the migration:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	// Folded: each destination's newest confirmation that its row states (+11's remove at CXone,
	// +12's add at CXone); not +12's at Genesys (the row's time differs), nor failures or dead letters.
	var logged, held int
	if err := db.QueryRow(ctx, `SELECT (SELECT count(*) FROM confirmation_log),
		(SELECT count(*) FROM number_destinations WHERE confirmed_seq IS NOT NULL)`).Scan(&logged, &held); err != nil ||
		logged != 4 || held != 2 {
		t.Fatalf("after the migration: %d logged, %d held (%v); want 4, 2", logged, held, err)
	}
	s := open(t, url, pgq.Options{Destinations: []string{"cxone", "genesys"}})
	var got []string
	if err := s.Export(ctx, time.Time{}, time.Time{}, func(r queue.AuditRecord) error {
		got = append(got, string(r.Kind)+" "+r.Destination+" "+string(r.Action)+" "+r.Scope+" "+r.Detail)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := []string{"received  add  ", "confirmed cxone add calls ", "failed genesys add  HTTP 503",
		`dead genesys add  gone \ away`, "received  remove  ", "confirmed cxone remove  ", "confirmed cxone add  ",
		"received  add  ", "confirmed genesys add  ", "rejected    too_short"}
	if len(got) != len(want) {
		t.Fatalf("export after the migration:\n%q\nwant\n%q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("export after the migration:\n%q\nwant\n%q", got, want)
		}
	}
}
