package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/poll"
	"github.com/redis/go-redis/v9"
)

// Sentinel is a primary, one replica and one Sentinel watching them, each a process the test
// owns. The sentinel fails over a second after the primary stops answering.
type Sentinel struct {
	t       testing.TB
	Name    string // the master name the sentinel monitors
	Primary *Server
	Replica *Server
	Addr    string // the sentinel's
	dir     string
	cmd     *exec.Cmd
}

// StartSentinel starts the primary, the replica (and waits for it to sync) and the sentinel.
func StartSentinel(t testing.TB) *Sentinel {
	t.Helper()
	need(t)
	s := &Sentinel{t: t, Name: "dncsync-test", dir: t.TempDir()}
	// Redis waits 5 s by default before a full sync, for more replicas to join it.
	noDelay := []string{"--repl-diskless-sync-delay", "0"}
	s.Primary = startWith(t, noDelay...)
	host, port, _ := net.SplitHostPort(s.Primary.Addr)
	s.Replica = startWith(t, append(noDelay, "--replicaof", host, port)...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	waitFor(t, ctx, "the replica to sync", func() bool {
		rdb := redis.NewClient(&redis.Options{Addr: s.Replica.Addr})
		defer rdb.Close()
		info, err := rdb.Info(ctx, "replication").Result()
		return err == nil && strings.Contains(info, "master_link_status:up")
	})
	s.Addr = freeAddr(t)
	_, sport, _ := net.SplitHostPort(s.Addr)
	conf := filepath.Join(s.dir, "sentinel.conf")
	err := os.WriteFile(conf, fmt.Appendf(nil, `port %s
bind 127.0.0.1
dir %s
logfile %s
sentinel monitor %s %s %s 1
sentinel down-after-milliseconds %s 1000
sentinel failover-timeout %s 10000
sentinel parallel-syncs %s 1
`, sport, s.dir, filepath.Join(s.dir, "sentinel.log"), s.Name, host, port, s.Name, s.Name, s.Name), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	s.cmd = exec.Command("redis-server", conf, "--sentinel")
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start redis sentinel: %v", err)
	}
	t.Cleanup(func() { _ = s.cmd.Process.Kill(); _ = s.cmd.Wait() })
	waitFor(t, ctx, "the sentinel to see the replica", func() bool {
		sc := redis.NewSentinelClient(&redis.Options{Addr: s.Addr})
		defer sc.Close()
		replicas, err := sc.Replicas(ctx, s.Name).Result()
		return err == nil && len(replicas) == 1
	})
	return s
}

// URL is the REDIS_URL naming the sentinel and the master name.
func (s *Sentinel) URL() string { return "redis://" + s.Addr + "?master_name=" + s.Name }

// Master asks the sentinel which address is the primary now.
func (s *Sentinel) Master(ctx context.Context) (string, error) {
	sc := redis.NewSentinelClient(&redis.Options{Addr: s.Addr})
	defer sc.Close()
	a, err := sc.GetMasterAddrByName(ctx, s.Name).Result()
	if err != nil {
		return "", err
	}
	return net.JoinHostPort(a[0], a[1]), nil
}

// WaitFailover waits until the sentinel names the replica as the primary.
func (s *Sentinel) WaitFailover(within time.Duration) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	waitFor(s.t, ctx, "the sentinel to promote the replica", func() bool {
		a, err := s.Master(ctx)
		return err == nil && a == s.Replica.Addr
	})
}

// RejoinAsReplica restarts the crashed old primary as a replica of the promoted one, as an operator
// or orchestrator would (the sentinel itself would, but only after its next 10-second look).
func (s *Sentinel) RejoinAsReplica() {
	s.t.Helper()
	host, port, _ := net.SplitHostPort(s.Replica.Addr)
	s.Primary.args = []string{"--repl-diskless-sync-delay", "0", "--replicaof", host, port}
	s.Primary.Restart()
}

// Log is the sentinel's log so far.
func (s *Sentinel) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "sentinel.log"))
	return string(b)
}

func waitFor(t testing.TB, ctx context.Context, what string, ok func() bool) {
	t.Helper()
	if !poll.Until(ctx, ok) {
		t.Fatalf("timed out waiting for %s", what)
	}
}
