package cli

import (
	"context"
	"fmt"
	"net"

	"github.com/dncsync/dncsync/internal/app"
)

// cmdServe runs the service.
func cmdServe(ctx context.Context, o cmdIO, args []string) error {
	e := newEnv(o, "serve", "dncsync serve [flags]", allSettings)
	e.about = "Runs the service: opt-outs arrive as webhooks (POST /webhook/opt-out) or imports, wait in the store, and\n" +
		"are pushed to every destination of DNCSYNC_DESTINATIONS. Settings marked REQUIRED must be set\n" +
		"(docs/configuration.md); `dncsync doctor` checks a destination's before you start."
	if err := e.parse(args); err != nil {
		return err
	}
	if e.fs.NArg() > 0 {
		return usageErr("serve takes no arguments (got %q)", e.fs.Arg(0))
	}
	return runService(ctx, e, nil)
}

// runService validates the settings, opens the store, and serves until ctx is done; ready, when
// set, is told the service listens, and on which store.
func runService(ctx context.Context, e *env, ready func(port int, store string)) error {
	if err := e.cfg.Validate(); err != nil {
		return fmt.Errorf("invalid settings:\n%w", err)
	}
	log, err := app.NewLogger(e.cfg.LogLevel, e.cfg.LogFormat, e.stderr)
	if err != nil {
		return err
	}
	svc, err := app.New(e.cfg, log)
	if err != nil {
		return err
	}
	ln, err := app.Listen(e.cfg.Port)
	if err != nil {
		svc.Store().Close()
		return err
	}
	if ready != nil {
		ready(ln.Addr().(*net.TCPAddr).Port, svc.Store().Name) // the port bound: PORT=0 lets the kernel pick
	}
	return svc.Run(ctx, ln)
}
