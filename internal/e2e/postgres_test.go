package e2e

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dncsync/dncsync/internal/cxone/cxonesim"
	"github.com/dncsync/dncsync/internal/pgtest"
	"github.com/dncsync/dncsync/internal/poll"
)

// TestPostgresEndToEnd: serve refuses a database without the schema and names the command;
// `dncsync migrate` makes it; then thousands of events through the real binary on PostgreSQL into a
// faulty simulator, a SIGKILL mid-drain, a restart, and the exact list: nothing lost. Nothing
// doubled: the queue ends empty, and no number was confirmed more often than it was asked for.
func TestPostgresEndToEnd(t *testing.T) {
	url := pgtest.Schema(t)
	sim, env := startSim(t, 30000)
	sim.SetFaults(cxonesim.Faults{RateLimit429: 0.05, RetryAfter: "1", ServerError: 0.05,
		LostAfterApply: 0.1, ExpireTokens: 0.03, HTMLError: 0.02})
	// A fresh token refused too (3% of tokens expire) is the deployment's fault and waits
	// DNCSYNC_CONFIG_WAIT; kept short, since that wait is not what this test is about.
	env = append(env, "DATABASE_URL="+url, "DNCSYNC_CONFIG_WAIT=2s")

	cmd := exec.Command(binPath, "serve")
	cmd.Env = append(cleanEnv(), env...)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "dncsync migrate") {
		t.Fatalf("serve on a database without the schema: %v\n%s\nwant a refusal naming dncsync migrate", err, out)
	}
	cmd = exec.Command(binPath, "migrate")
	cmd.Env = append(cleanEnv(), "DATABASE_URL="+url)
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "applied 0001") {
		t.Fatalf("migrate: %v\n%s", err, out)
	}

	c := makeCorpus(2000)
	half := len(c.bodies) / 2
	p := startServe(t, env...)
	arrived, release := sim.HoldRequests() // the first batch to reach CXone waits, unanswered
	defer release()
	accepted := send(t, p, c.bodies[:half], 16)
	inFlight(t, arrived)
	p.kill() // a crash with work queued and a batch in flight
	release()
	p.start()
	for n := range send(t, p, c.bodies[half:], 16) {
		accepted[n] = true
	}
	sameSet(t, accepted, c.want)
	waitForList(t, sim, c.want, 90*time.Second)

	// Longer than the queued loop below.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	db, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	queued := func() string {
		var s string
		db.QueryRow(ctx, `SELECT coalesce(string_agg(status || ' ' || n || ' ' || e, ', '), '') FROM (SELECT status, count(*) n,
			max(last_error) e FROM queue GROUP BY status) q`).Scan(&s)
		return s
	}
	// Past the killed process's leases (DNCSYNC_LEASE), which the surviving one recovers, and the
	// back-offs of batches whose answers the simulator lost more than once in a row: two minutes,
	// since CI's machine is shared (one run at load 15 still had 31 entries at one minute).
	var q string
	if !poll.Within(2*time.Minute, func() bool { q = queued(); return q == "" }) {
		t.Fatalf("still queued two minutes after the list was complete: %s", q)
	}
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
	var synced int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM number_standing WHERE state = 'synced'`).Scan(&synced); err != nil {
		t.Fatal(err)
	}
	if synced != len(c.want) {
		t.Fatalf("number_standing says %d synced, want %d", synced, len(c.want))
	}
}
