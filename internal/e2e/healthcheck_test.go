package e2e

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/poll"
	"github.com/dncsync/dncsync/internal/redistest"
)

// healthcheck runs `dncsync healthcheck` as a container runtime would, and returns its exit code.
func healthcheck(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(binPath, append([]string{"healthcheck"}, args...)...)
	cmd.Env = append(cleanEnv(), env...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &ee):
		return ee.ExitCode(), string(out)
	}
	t.Fatalf("healthcheck: %v", err)
	return 0, ""
}

// The image's HEALTHCHECK and the Kubernetes readiness probe: alive is /healthz; ready is the store
// committing, whatever a destination's login says; it fails while Redis is down and recovers alone.
func TestHealthcheckCommand(t *testing.T) {
	_, env := startSim(t, 6000)
	srv := redistest.Start(t)
	p := startServe(t, append(env, "REDIS_URL="+srv.URL())...)
	port := p.port()
	if code, out := healthcheck(t, []string{port}); code != 0 {
		t.Fatalf("healthcheck of a running service: exit %d: %s", code, out)
	}
	if code, out := healthcheck(t, []string{port}, "--ready"); code != 0 {
		t.Fatalf("healthcheck --ready of a ready service: exit %d: %s", code, out)
	}
	srv.Kill()
	waitHealth(t, []string{port}, 1, "--ready")
	if code, out := healthcheck(t, []string{port}); code != 0 {
		t.Fatalf("liveness must not fail for a store outage (a restart would not fix it): exit %d: %s", code, out)
	}
	srv.Restart()
	waitHealth(t, []string{port}, 0, "--ready")

	dead := "PORT=0" // nothing listens on port 0
	if code, out := healthcheck(t, []string{dead}); code != 1 || !strings.Contains(out, "unhealthy") {
		t.Fatalf("healthcheck of a dead port: exit %d: %s", code, out)
	}
}

func waitHealth(t *testing.T, env []string, want int, args ...string) {
	t.Helper()
	// The readiness result is reused for a second (ready.go): the change shows within a few.
	var code int
	var out string
	if !poll.Within(10*time.Second, func() bool { code, out = healthcheck(t, env, args...); return code == want }) {
		t.Fatalf("healthcheck %v: exit %d, want %d: %s", args, code, want, out)
	}
}
