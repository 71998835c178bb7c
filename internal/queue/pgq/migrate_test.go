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
		!slices.Contains(opts, "fillfactor=70") {
		t.Fatalf("numbers' options after the migration: %v %v", opts, err)
	}
}
