package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// errUnhealthy: the service answered, but not 200 (exit 1, as a container runtime expects).
var errUnhealthy = errors.New("unhealthy")

// cmdHealthcheck asks a running service on this host whether it is alive (/healthz) or ready to
// take opt-outs (/readyz without the destinations' logins, the check Kubernetes' readiness uses):
// distroless images have no curl, so the image's HEALTHCHECK runs the binary itself.
func cmdHealthcheck(ctx context.Context, o cmdIO, args []string) error {
	e := newEnv(o, "healthcheck", "dncsync healthcheck [--ready] [--url URL]", "PORT")
	e.about = "Exit 0 when the service answers 200, 1 otherwise."
	fs := e.fs
	url := fs.String("url", "", "the address to ask (default http://127.0.0.1:$PORT/healthz, or /readyz?exclude=destinations with --ready)")
	ready := fs.Bool("ready", false, "ask whether the service can take opt-outs (the store commits), not only whether it runs")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if err := e.parse(args); err != nil {
		return err
	}
	port := e.cfg.Port
	if *url == "" {
		path := "/healthz"
		if *ready {
			path = "/readyz?exclude=destinations"
		}
		*url = fmt.Sprintf("http://127.0.0.1:%d%s", port, path)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %v", errUnhealthy, err)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: %s answered %d: %s", errUnhealthy, *url, resp.StatusCode, oneLine(string(body), 200))
	}
	fmt.Fprintln(e.stdout, "ok")
	return nil
}

// oneLine keeps a value on one line of at most n bytes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n-1] + "…"
	}
	return s
}
