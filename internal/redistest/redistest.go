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
	"strings"
	"testing"
	"time"
)

// Server is one redis-server process owned by a test.
type Server struct {
	t    testing.TB
	Addr string
	dir  string
	args []string // beyond the defaults of start
	cmd  *exec.Cmd
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
	s.Addr = freeAddr(t)
	s.start()
	t.Cleanup(s.Kill)
	return s
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

func (s *Server) start() {
	s.t.Helper()
	_, port, _ := net.SplitHostPort(s.Addr)
	args := append([]string{"--port", port, "--bind", "127.0.0.1",
		"--dir", s.dir, "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
		"--maxmemory-policy", "noeviction", "--logfile", filepath.Join(s.dir, "redis.log")}, s.args...)
	cmd := exec.Command("redis-server", args...)
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	s.cmd = cmd
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if ping(s.Addr) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
	s.t.Fatalf("redis-server on %s did not answer PING within 10s; log:\n%s", s.Addr, log)
}

// Kill stops the server at once (SIGKILL), as a crash would. Data synced to the AOF survives.
func (s *Server) Kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
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
	s.start()
}

func ping(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := fmt.Fprint(c, "PING\r\n"); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "+PONG")
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
