package cli

import (
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/app"
	"github.com/dncsync/dncsync/internal/pgtest"
	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/boltq"
	"github.com/dncsync/dncsync/internal/queue/pgq"
	"github.com/dncsync/dncsync/internal/queue/queuetest"
	"github.com/dncsync/dncsync/internal/queue/redisq"
	"github.com/dncsync/dncsync/internal/redistest"
)

// A store holding one of everything (queuetest.WriteFixture: entries ready and dead for two
// destinations with their attempts, merged repeats, a lost lease, confirmations, failures, stale and
// duplicate events, rejections and ignored words, event ids) moves to PostgreSQL, the embedded
// store and Redis; the new store reads back what the old one does (queuetest.Observe: every lookup, the export, the states, the dead
// letters, the rejections, the queue claimed in order). A second run writes nothing; a third, after
// the old store's service pushed more, brings those confirmations and takes their entries out of
// the new queue; an event id the old store remembered is still a duplicate in the new one. From the
// embedded store, Redis, and another PostgreSQL database.
func TestMigrateStore(t *testing.T) {
	for _, from := range []struct {
		name string
		open func(t *testing.T, now func() time.Time) movable
	}{
		{"embedded", func(t *testing.T, now func() time.Time) movable {
			s, err := boltq.Open(filepath.Join(t.TempDir(), "dncsync.db"), boltq.Options{Now: now,
				Destinations: queuetest.FixtureDestinations})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
		{"postgres", func(t *testing.T, now func() time.Time) movable {
			url := pgtest.Schema(t)
			if _, err := pgq.Migrate(context.Background(), url, false); err != nil {
				t.Fatal(err)
			}
			s, err := pgq.Open(context.Background(), url, pgq.Options{Now: now, Destinations: queuetest.FixtureDestinations})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
		{"redis", func(t *testing.T, now func() time.Time) movable {
			srv := redistest.Start(t)
			s, err := redisq.Open(srv.URL(), redisq.Options{Now: now, Destinations: queuetest.FixtureDestinations})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
	} {
		for _, to := range migrateTargets {
			t.Run(from.name+"-to-"+to.name, func(t *testing.T) { testMigrateStore(t, from.open, to.open) })
		}
	}
}

// migrateTargets are the stores migrate-store moves to.
var migrateTargets = []struct {
	name string
	open func(t *testing.T, now func() time.Time) restoring
}{
	{"postgres", func(t *testing.T, now func() time.Time) restoring {
		url := pgtest.Schema(t)
		if _, err := pgq.Migrate(context.Background(), url, false); err != nil {
			t.Fatal(err)
		}
		s, err := pgq.Open(context.Background(), url, pgq.Options{Now: now, Destinations: queuetest.FixtureDestinations})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}},
	{"embedded", func(t *testing.T, now func() time.Time) restoring {
		s, err := boltq.Open(filepath.Join(t.TempDir(), "dncsync.db"), boltq.Options{Now: now,
			Destinations: queuetest.FixtureDestinations})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}},
	{"redis", func(t *testing.T, now func() time.Time) restoring {
		srv := redistest.Start(t)
		s, err := redisq.Open(srv.URL(), redisq.Options{Now: now, Destinations: queuetest.FixtureDestinations})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}},
}

// restoring is a store migrate-store moves to.
type restoring interface {
	queue.Store
	restoringStore
}

func testMigrateStore(t *testing.T, open func(*testing.T, func() time.Time) movable, openTo func(*testing.T, func() time.Time) restoring) {
	{
		{
			ctx := context.Background()
			var now time.Time
			clock := func() time.Time { return now }
			src := open(t, clock)
			defer src.Close()
			dst := openTo(t, clock)
			defer dst.Close()
			queuetest.WriteFixture(t, src, &now)
			end := now
			n, err := moveStore(ctx, src, src, dst, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if n.records == 0 || n.had != 0 || n.entries == 0 || n.dead == 0 || n.ids == 0 || n.states == 0 {
				t.Fatalf("precondition: the fixture moves records, states, entries with a dead one, and ids: %+v", n)
			}
			again, err := moveStore(ctx, src, src, dst, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if again.had != again.records || again.records != n.records {
				t.Fatalf("a second run wrote %d of %d records again", again.records-again.had, again.records)
			}
			// The old store's service pushes more between two runs: the next run brings the
			// confirmations and takes the entries out of the new store's queue.
			now = end.Add(time.Hour)
			pushed, err := src.Claim(ctx, 100, time.Minute)
			if err != nil || len(pushed) == 0 {
				t.Fatalf("precondition: entries to push between the runs: %d, %v", len(pushed), err)
			}
			if err := src.Ack(ctx, pushed); err != nil {
				t.Fatal(err)
			}
			end = now
			third, err := moveStore(ctx, src, src, dst, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if third.records-third.had != len(pushed) || third.removed != len(pushed) {
				t.Fatalf("after %d pushed in the old store: %d records written, %d entries removed; want %d each",
					len(pushed), third.records-third.had, third.removed, len(pushed))
			}
			// An event id remembered before the move is a duplicate after it.
			st, err := dst.Enqueue(ctx, []queue.Event{{ID: "ev-3", Number: "+15550000003", Action: queue.Remove,
				OccurredAt: end, ReceivedAt: end}})
			if err != nil || st[0] != queue.Duplicate {
				t.Fatalf("event id ev-3 after the move: %v %v, want duplicate", st, err)
			}
			now = end
			want := queuetest.Observe(t, src, &now)
			now = end
			got := queuetest.Observe(t, dst, &now)
			if d, err := queuetest.SameObservation(emptyAsNull(t, want), emptyAsNull(t, got)); err != nil || d != "" {
				t.Fatalf("the moved store reads otherwise (%v):\n%s", err, d)
			}
		}
	}
}

// movable is a store migrate-store moves from.
type movable interface {
	queue.Store
	movableStore
}

// emptyAsNull reads an observation and writes it again with an empty queue or dead-letter list as
// null: the stores differ there (nothing: an empty list, or none), and nothing else.
func emptyAsNull(t *testing.T, b []byte) []byte {
	t.Helper()
	var o queuetest.Observation
	if err := json.Unmarshal(b, &o); err != nil {
		t.Fatal(err)
	}
	for k, v := range o.Ready {
		if len(v) == 0 {
			o.Ready[k] = nil
		}
	}
	for k, v := range o.Dead {
		if len(v) == 0 {
			o.Dead[k] = nil
		}
	}
	out, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// migrate-store needs both ends, and not into the store it reads: said before anything is read.
func TestMigrateStoreUsage(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	s, err := boltq.Open(filepath.Join(dir, app.StoreFile), boltq.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--from", dir}, "usage: dncsync migrate-store"},
		{[]string{"--from", filepath.Join(dir, "a"), "--to", "postgres://127.0.0.1:1/x"}, "no embedded store there"},
		{[]string{"--from", dir, "--to", dir + "/"}, "--to is --from"},
		{[]string{"--from", "mysql://x", "--to", "postgres://127.0.0.1:1/x"}, `"mysql://": want postgres://`},
	} {
		code, _, errOut := run(t, append([]string{"migrate-store"}, tc.args...)...)
		if code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("migrate-store %v: exit %d, %q; want %q", tc.args, code, errOut, tc.want)
		}
	}
}

// Two identical records (the same junk posted twice in one millisecond) that fall on either side
// of a batch boundary both move, and a second run writes neither again: a target must not take the
// second for the first, which an earlier batch of the same run wrote.
func TestMigrateStoreAlikeRecordsAcrossBatches(t *testing.T) {
	for _, to := range migrateTargets {
		t.Run("embedded-to-"+to.name, func(t *testing.T) {
			ctx := context.Background()
			now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
			clock := func() time.Time { return now }
			src, err := boltq.Open(filepath.Join(t.TempDir(), "dncsync.db"), boltq.Options{Now: clock,
				Destinations: queuetest.FixtureDestinations})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			dst := to.open(t, clock)
			defer dst.Close()
			var rs []queue.Rejection
			for i := range moveBatch - 1 {
				raw := "junk-" + itoa(i)
				rs = append(rs, queue.Rejection{Raw: raw, Body: raw, Reason: "no_digits", Source: "web", ReceivedAt: now})
			}
			same := queue.Rejection{Raw: "12", Body: `{"phoneNumber":"12"}`, Reason: "too_short", Source: "web", ReceivedAt: now}
			rs = append(rs, same, same)
			if err := src.Reject(ctx, rs...); err != nil {
				t.Fatal(err)
			}
			count := func(s queue.Store) (n int) {
				if err := s.Export(ctx, time.Time{}, time.Time{}, func(queue.AuditRecord) error { n++; return nil }); err != nil {
					t.Fatal(err)
				}
				return n
			}
			if n := count(src); n != moveBatch+1 {
				t.Fatalf("precondition: %d records in the source, want %d (the alike pair across the boundary)", n, moveBatch+1)
			}
			first, err := moveStore(ctx, src, src, dst, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if first.had != 0 || count(dst) != moveBatch+1 {
				t.Fatalf("first run: %d of %d records taken as there already; the target holds %d", first.had,
					first.records, count(dst))
			}
			again, err := moveStore(ctx, src, src, dst, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if again.had != again.records || count(dst) != moveBatch+1 {
				t.Fatalf("second run wrote %d records again; the target holds %d", again.records-again.had, count(dst))
			}
		})
	}
}
