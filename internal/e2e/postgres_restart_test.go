package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dncsync/dncsync/internal/poll"
)

// pgCluster is a PostgreSQL server of the test's own (initdb in a temporary directory, on a free
// port), so that restarting it disturbs no other test: the machine's shared server serves every
// other package's tests. As root, the server runs as the postgres user (PostgreSQL refuses root).
type pgCluster struct {
	t         *testing.T
	bin, dir  string
	port      string
	asPostgre []string // the command prefix that runs a program as the postgres user; nil: as us
}

// startPGCluster starts a private server, or skips the test saying why it cannot.
func startPGCluster(t *testing.T) *pgCluster {
	t.Helper()
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(found) == 0 {
		t.Skip("no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb): install postgresql to run this test")
	}
	c := &pgCluster{t: t, bin: filepath.Dir(found[len(found)-1])}
	dir, err := os.MkdirTemp("", "dncsync-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c.dir = dir
	t.Cleanup(func() { os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skipf("running as root, and there is no postgres user to run a private PostgreSQL as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		c.asPostgre = []string{"runuser", "-u", "postgres", "--"}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.port = strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	if out, err := c.run("initdb", "-D", c.data(), "-A", "trust", "-U", "postgres", "--no-sync"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	if err := c.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.run("pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "stop") })
	return c
}

func (c *pgCluster) data() string { return filepath.Join(c.dir, "data") }

func (c *pgCluster) run(prog string, args ...string) ([]byte, error) {
	argv := append(append(append([]string(nil), c.asPostgre...), filepath.Join(c.bin, prog)), args...)
	return exec.Command(argv[0], argv[1:]...).CombinedOutput()
}

// start starts the server and returns once it accepts connections (pg_ctl -w).
func (c *pgCluster) start() error {
	out, err := c.run("pg_ctl", "-D", c.data(), "-w", "-t", "60", "-l", filepath.Join(c.dir, "log"), "-o",
		"-p "+c.port+" -k "+c.dir+" -c listen_addresses=127.0.0.1", "start")
	if err != nil {
		return fmt.Errorf("pg_ctl start: %v\n%s", err, out)
	}
	return nil
}

// crash stops the server as a power cut would (immediate: no checkpoint, WAL replayed at start).
func (c *pgCluster) crash() {
	c.t.Helper()
	if out, err := c.run("pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "stop"); err != nil {
		c.t.Fatalf("pg_ctl stop: %v\n%s", err, out)
	}
}

func (c *pgCluster) url() string {
	return "postgres://postgres@127.0.0.1:" + c.port + "/postgres?sslmode=disable"
}

// TestPostgresRestartMidDrain: serve drains into the simulator while its PostgreSQL stops as in a
// crash and starts again; opt-outs keep arriving meanwhile (answered 503 while the database is away,
// and sent again, as a sender does). serve recovers without a restart of its own: ready again, the
// list ends exactly the accepted numbers, the queue empty, no number confirmed more often than asked.
func TestPostgresRestartMidDrain(t *testing.T) {
	pg := startPGCluster(t)
	url := pg.url()
	cmd := exec.Command(binPath, "migrate")
	cmd.Env = append(cleanEnv(), "DATABASE_URL="+url)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	sim, env := startSim(t, 600) // about 500 numbers a second: the drain is under way when the database goes
	p := startServe(t, append(env, "DATABASE_URL="+url)...)
	c := makeCorpus(2000)
	half := len(c.bodies) / 2
	accepted := send(t, p, c.bodies[:half], 8)
	waitFor(t, "a first batch on the list", func() bool { return len(sim.List()) > 0 })
	pid := p.cmd.Process.Pid
	pg.crash()
	if n := len(sim.List()); n >= len(c.want) {
		t.Fatalf("precondition: the drain under way when the database stops; %d of %d listed already", n, len(c.want))
	}
	if code, body := p.readyzUntil(t, 503, 20*time.Second); code != 503 {
		t.Fatalf("readyz with the database stopped: %d %v, want 503", code, body)
	}
	started := make(chan error, 1)
	go func() { started <- pg.start() }()
	for n := range send(t, p, c.bodies[half:], 8) {
		accepted[n] = true
	}
	if err := <-started; err != nil {
		t.Fatal(err)
	}
	sameSet(t, accepted, c.want)
	if code, body := p.readyzUntil(t, 200, 30*time.Second); code != 200 {
		t.Fatalf("readyz after the database came back: %d %v", code, body)
	}
	waitForList(t, sim, c.want, 90*time.Second)
	if p.cmd.ProcessState != nil || p.cmd.Process.Pid != pid {
		t.Fatalf("serve did not run through the restart: %v", p.cmd.ProcessState)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	// Leases taken before the crash run out (DNCSYNC_LEASE=30s) and are recovered.
	if !poll.Within(time.Minute, func() bool {
		var n int
		return db.QueryRow(ctx, `SELECT count(*) FROM queue`).Scan(&n) == nil && n == 0
	}) {
		t.Fatal("the queue did not empty within a minute of the list being complete")
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
}
