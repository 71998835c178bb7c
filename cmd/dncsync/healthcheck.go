package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"
)

// errUnhealthy: the service answered, but not 200 (exit 1, as a container runtime expects).
var errUnhealthy = errors.New("unhealthy")

// cmdHealthcheck asks a running service on this host whether it is alive (/healthz) or ready to
// take opt-outs (/readyz without the destinations' logins, the check Kubernetes' readiness uses):
// distroless images have no curl, so the image's HEALTHCHECK runs the binary itself.
func cmdHealthcheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	port := 3000
	if v, ok := os.LookupEnv("PORT"); ok {
		if n, err := strconv.Atoi(v); err == nil {
			port = n
		}
	}
	url := fs.String("url", "", "the address to ask (default http://127.0.0.1:$PORT/healthz, or /readyz?exclude=destinations with --ready)")
	ready := fs.Bool("ready", false, "ask whether the service can take opt-outs (the store commits), not only whether it runs")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: dncsync healthcheck [--ready] [--url URL]\n\nExit 0 when the service answers 200, 1 otherwise.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
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
	fmt.Fprintln(stdout, "ok")
	return nil
}
