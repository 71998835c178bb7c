// Package redistest starts a private redis-server for a test on a free loopback port, so tests never
// share state with the machine's Redis and can kill and restart their server at will.
package redistest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/poll"
)

// Server is one redis-server process owned by a test.
type Server struct {
	t    testing.TB
	Addr string
	dir  string
	args []string // beyond the defaults of start
	cmd  *exec.Cmd
	done chan struct{} // closed once cmd exited
}

// Start launches redis-server with AOF on (as production should run) in a temp dir. Without the
// binary the test is skipped, except under CI=true where a missing server is a failure.
func Start(t testing.TB) *Server {
	t.Helper()
	return startWith(t)
}

func startWith(t testing.TB, args ...string) *Server {
	t.Helper()
	need(t)
	s := &Server{t: t, dir: t.TempDir(), args: args}
	t.Cleanup(s.Kill)
	// A port found free can be taken before redis-server binds it (by another test's process):
	// then redis-server exits, and another free port is tried.
	for range 5 {
		s.Addr = freeAddr(t)
		if s.start() {
			return s
		}
	}
	t.Fatalf("redis-server found no free port in 5 tries; log:\n%s", s.Log())
	return nil
}

// need skips the test without redis-server, except under CI=true where that is a failure.
func need(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("redis-server not found on PATH; CI must install it (apt-get install -y redis-server)")
		}
		t.Skip("redis-server not found on PATH; install it to run the Redis tests")
	}
}

// URL is the redis:// URL of the server.
func (s *Server) URL() string { return "redis://" + s.Addr + "/0" }

// start runs redis-server on s.Addr and waits until it answers there. It reports false if the
// server exited (its port was taken), and fails the test if it neither answers nor exits.
func (s *Server) start() bool {
	s.t.Helper()
	_, port, _ := net.SplitHostPort(s.Addr)
	args := append([]string{"--port", port, "--bind", "127.0.0.1",
		"--dir", s.dir, "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
		"--maxmemory-policy", "noeviction", "--logfile", filepath.Join(s.dir, "redis.log")}, s.args...)
	cmd := exec.Command("redis-server", args...)
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func(done chan struct{}) { _ = cmd.Wait(); close(done) }(s.done)
	exited := false
	up := poll.Within(10*time.Second, func() bool {
		select {
		case <-s.done:
			exited = true
			return true
		default:
		}
		return serverPID(s.Addr) == cmd.Process.Pid // this server, not another on a reused port
	})
	switch {
	case exited:
		s.cmd = nil
		return false
	case !up:
		s.t.Fatalf("redis-server on %s did not answer within 10s; log:\n%s", s.Addr, s.Log())
	}
	return true
}

// Kill stops the server at once (SIGKILL), as a crash would. Data synced to the AOF survives.
func (s *Server) Kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// Log is the server's log so far, for a failure message.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
	return string(b)
}

// Restart starts the server again on the same address and data directory.
func (s *Server) Restart() {
	s.t.Helper()
	s.Kill()
	if !s.start() {
		s.t.Fatalf("redis-server could not listen on %s again; log:\n%s", s.Addr, s.Log())
	}
}

// serverPID is the process id of the redis-server answering at addr, 0 when none answers.
func serverPID(addr string) int {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return 0
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := fmt.Fprint(c, "INFO server\r\n"); err != nil {
		return 0
	}
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "process_id:"); ok {
			pid, _ := strconv.Atoi(strings.TrimSpace(v))
			return pid
		}
	}
	return 0
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}
