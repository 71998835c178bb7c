package e2e

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dncsync/dncsync/internal/pgtest"
	"github.com/dncsync/dncsync/internal/redistest"
)

// TestMigrateStoreRedisToPostgres: a deployment on Redis takes opt-outs and has pushed some of them
// when it stops; `dncsync migrate-store` moves it to PostgreSQL (twice: the second run writes
// nothing), the audit export reads the same on both, and serve on PostgreSQL pushes the rest: the
// list ends exactly the accepted numbers, the queue empty, and no number confirmed more often than
// it was asked for.
func TestMigrateStoreRedisToPostgres(t *testing.T) {
	rdb := redistest.Start(t)
	url := pgtest.Schema(t)
	sim, env := startSim(t, 60) // slow: most work is still queued when the Redis deployment stops
	p := startServe(t, append(env, "REDIS_URL="+rdb.URL())...)
	c := makeCorpus(300)
	accepted := send(t, p, c.bodies, 8)
	sameSet(t, accepted, c.want)
	waitFor(t, "a first batch on the list", func() bool { return len(sim.List()) > 0 })
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("serve on Redis exited with %v after SIGTERM; stderr:\n%s", err, p.stderr)
	}
	before := len(sim.List())
	if before == 0 || before >= len(c.want) {
		t.Fatalf("precondition: some but not all numbers pushed on Redis; %d of %d", before, len(c.want))
	}

	run := func(env []string, args ...string) string {
		t.Helper()
		cmd := exec.Command(binPath, args...)
		cmd.Env = append(cleanEnv(), env...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("dncsync %s: %v\n%s\n%s", strings.Join(args, " "), err, out, stderr.String())
		}
		return string(out)
	}
	run([]string{"DATABASE_URL=" + url}, "migrate")
	exportRedis := run([]string{"REDIS_URL=" + rdb.URL()}, "audit", "export")
	first := run(nil, "migrate-store", "--from", rdb.URL(), "--to", url)
	second := run(nil, "migrate-store", "--from", rdb.URL(), "--to", url)
	records := strings.Count(exportRedis, "\n")
	if !strings.Contains(first, "(0 already there)") || !strings.Contains(second, "(") ||
		!strings.Contains(second, itoa(records)+" records ("+itoa(records)+" already there)") {
		t.Fatalf("the first run must write every record and the second none (%d records):\n%s\n%s", records, first, second)
	}
	if got := run([]string{"DATABASE_URL=" + url}, "audit", "export"); got != exportRedis {
		t.Fatalf("the audit export differs after the move: %d lines on Redis, %d on PostgreSQL", records,
			strings.Count(got, "\n"))
	}

	startServe(t, append(env, "DATABASE_URL="+url)...)
	waitForList(t, sim, c.want, 90*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	waitFor(t, "the queue on PostgreSQL to empty", func() bool {
		var n int
		return db.QueryRow(ctx, `SELECT count(*) FROM queue`).Scan(&n) == nil && n == 0
	})
	var over, confirmed int
	if err := db.QueryRow(ctx, `SELECT count(*) FILTER (WHERE c.n > e.n), coalesce(sum(c.n), 0) FROM
		(SELECT number, count(*) n FROM confirmations WHERE kind = 'confirmed' GROUP BY number) c
		JOIN (SELECT number, count(*) n FROM events WHERE kind = 'received' GROUP BY number) e USING (number)`).
		Scan(&over, &confirmed); err != nil {
		t.Fatal(err)
	}
	if over != 0 || confirmed < len(c.want) {
		t.Fatalf("%d numbers confirmed more often than asked for; %d confirmations for %d numbers", over, confirmed, len(c.want))
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
