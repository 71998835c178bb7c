package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/dncsync/dncsync/internal/app"
	"github.com/dncsync/dncsync/internal/destination"
)

// demoAdminToken turns the /v1 API and the status page on in a demo; it is printed.
const demoAdminToken = "demo-admin-token"

// cmdDemo runs the whole service in one process: the embedded store in a temporary directory and a
// simulator of each destination on loopback (each destination's Simulate), so a newcomer sees
// opt-outs reach the lists with one command.
func cmdDemo(ctx context.Context, o cmdIO, args []string) error {
	e := newEnv(o, "demo", "dncsync demo [flags]", allSettings)
	e.about = "Runs the service against a simulator of each destination of DNCSYNC_DESTINATIONS (" + app.DestinationNames("or") + "),\n" +
		"on the embedded store in a temporary directory unless REDIS_URL or DNCSYNC_DATA_DIR is set. Other\n" +
		"settings apply as given; the CXone simulator runs the profile CXONE_API names (admin when unset)."
	if err := e.parse(args); err != nil {
		return err
	}
	if e.fs.NArg() > 0 {
		return usageErr("demo takes no arguments (got %q)", e.fs.Arg(0))
	}
	cfg := e.cfg
	if !e.set.Lookup("DNCSYNC_DATA_DIR").IsSet() {
		tmp, err := os.MkdirTemp("", "dncsync-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		cfg.DataDir = tmp
	}
	if !e.set.Lookup("DNCSYNC_LOG_FORMAT").IsSet() {
		cfg.LogFormat = "text"
	}
	log, err := app.NewLogger(cfg.LogLevel, cfg.LogFormat, e.stderr)
	if err != nil {
		return err
	}
	var about strings.Builder
	for _, name := range cfg.Destinations() {
		spec, settings, err := cfg.Dest(name)
		if err != nil {
			return fmt.Errorf("DNCSYNC_DESTINATIONS: %w", err)
		}
		sim, ok := settings.(destination.Simulator)
		if !ok {
			return fmt.Errorf("the %s destination (%s) has no simulator to run the demo against", spec.Name, spec.Title)
		}
		text, stop, err := sim.Simulate(ctx, destination.Deps{Log: log})
		if err != nil {
			return err
		}
		defer stop()
		about.WriteString(text)
	}
	if cfg.WebhookAuth == "" {
		cfg.WebhookAuth = "none"
	}
	if cfg.AdminToken == "" {
		cfg.AdminToken = demoAdminToken // a demo only: the /v1 API is on, with a token shown below
	}
	return runService(ctx, e, func(port int, store string) {
		fmt.Fprintf(e.stdout, `dncsync demo: the service on http://localhost:%d, store %s, webhook auth %q. Try:

  curl -s -X POST localhost:%d/webhook/opt-out -H 'Content-Type: application/json' \
    -d '{"eventType":"contact.opt_out","data":{"phoneNumber":"(415) 555-2671"}}'

A number's state and history:
  curl -s -H 'Authorization: Bearer %s' localhost:%d/v1/numbers/+14155552671

Metrics: curl -s localhost:%d/metrics
The status page: http://localhost:%d/ (sign in with the admin token above)

The destinations, simulated:
%s
Stop with Ctrl-C.
`, port, store, cfg.WebhookAuth, port, cfg.AdminToken, port, port, port, about.String())
	})
}
