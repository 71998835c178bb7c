// Command dncsync gets consumer opt-outs onto a NICE CXone do-not-call list. Subcommands: see usage.
// Settings come from the environment or flags alike (config.go; README, Configuration).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/dncsync/dncsync/internal/queue"
)

const usage = `dncsync: every opt-out onto a NICE CXone do-not-call list, fast, with proof.

Usage:
  dncsync serve       run the service (webhooks in, CXone out)
  dncsync demo        run the service on the embedded store against a built-in CXone simulator
  dncsync subscribe --callback-url URL
                      register the CXone event subscription that posts opt-outs to URL
  dncsync lookup [--server URL] NUMBER
                      a number's state and history (exit 0 found, 1 never seen, 2 error)
  dncsync audit export [--since T] [--until T] [--format jsonl|csv]
                      stream the audit trail for archiving
  dncsync doctor [--canary NUMBER]
                      check the CXone setup: login, API host, DNC group, scrubbed skills (admin; exit 0 all ok)
  dncsync check NUMBER  ask CXone whether NUMBER is on the DNC group (admin; exit 0 listed, 1 not, 2 error)
  dncsync reconcile [--dry-run] [--json]
                      compare the DNC group with what dncsync synced; re-queue what CXone lacks (admin)
  dncsync requeue-dead [--max N] [--server URL]
                      send dead letters back to the queue once their cause is fixed
  dncsync import [--server URL] [--column C] [--report FILE] FILE|-
                      load a file of opt-outs (CSV or one number a line, gzip detected); reruns are idempotent
                      (exit 0 imported, 1 stopped, 3 nothing imported, 4 over --max-rejected not imported)
  dncsync status [--json] [--max-age 24h] [--server URL]
                      queue, compliance clock, last push, pace (exit 1 when the oldest is older than --max-age)
  dncsync dlq list [--json] | retry NUMBER...|--all | drop NUMBER... --reason TEXT  [--server URL]
                      the dead letters with their errors; re-queue or drop them (drops are kept in the trail)
  dncsync rejected list [--since T] [--json] [--server URL]
                      input that was not a valid number, newest first, to correct and resubmit
  dncsync healthcheck [--ready] [--url URL]
                      ask the service on this host whether it runs (or can take opt-outs): exit 0 or 1
  dncsync version     the build: version, commit, Go
  dncsync load --url URL [--requests N --concurrency C --batch B]
                      post webhooks at a running service and print the rate it sustained

Run "dncsync COMMAND -h" for the settings of a command. Every flag is also an environment variable.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	ctx, stop := signalContext()
	defer stop()
	var err error
	switch args[0] {
	case "serve":
		err = cmdServe(ctx, args[1:], stderr)
	case "demo":
		err = cmdDemo(ctx, args[1:], stdout, stderr)
	case "subscribe":
		err = cmdSubscribe(ctx, args[1:], stdout, stderr)
	case "load":
		err = cmdLoad(ctx, args[1:], stdout, stderr)
	case "lookup":
		err = cmdLookup(ctx, args[1:], stdout, stderr)
		if errors.Is(err, errNotFound) {
			fmt.Fprintln(stderr, "dncsync lookup: never seen")
			return 1
		}
	case "audit":
		err = cmdAudit(ctx, args[1:], stdout, stderr)
	case "doctor":
		err = cmdDoctor(ctx, args[1:], stdout, stderr)
		if errors.Is(err, errChecksFailed) {
			return 1 // the summary said what to fix
		}
	case "check":
		err = cmdCheck(ctx, args[1:], stdout, stderr)
		if errors.Is(err, errNotListed) {
			return 1
		}
	case "reconcile":
		err = cmdReconcile(ctx, args[1:], stdout, stderr)
	case "requeue-dead":
		err = cmdRequeueDead(ctx, args[1:], stdout, stderr)
	case "import":
		err = cmdImport(ctx, args[1:], stdout, stderr)
	case "status":
		err = cmdStatus(ctx, args[1:], stdout, stderr)
		if errors.Is(err, errTooOld) {
			fmt.Fprintf(stderr, "dncsync status: %v\n", err)
			return 1
		}
	case "dlq":
		err = cmdDLQ(ctx, args[1:], stdout, stderr)
	case "rejected":
		err = cmdRejected(ctx, args[1:], stdout, stderr)
	case "healthcheck":
		err = cmdHealthcheck(ctx, args[1:], stdout, stderr)
	case "version", "--version":
		err = cmdVersion(stdout)
	default:
		fmt.Fprintf(stderr, "dncsync: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "dncsync %s: %v\n", args[0], err)
		if ee := (*exitError)(nil); errors.As(err, &ee) {
			return ee.code
		}
		if args[0] == "lookup" || args[0] == "check" {
			return 2
		}
		return 1
	}
	return 0
}

// signalContext is cancelled by the first SIGINT or SIGTERM (graceful shutdown); a second one
// exits at once, leaving in-flight leases to expire and be recovered.
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ch
		cancel()
		<-ch
		fmt.Fprintln(os.Stderr, "dncsync: second signal, exiting now")
		os.Exit(130)
	}()
	return ctx, func() { signal.Stop(ch); cancel() }
}

func newLogger(cfg *config, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return nil, fmt.Errorf("DNCSYNC_LOG_LEVEL=%q must be debug, info, warn or error", cfg.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: capAttr}
	switch strings.ToLower(cfg.LogFormat) {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("DNCSYNC_LOG_FORMAT=%q must be json or text", cfg.LogFormat)
}

// maxLogField caps every logged value: log lines carry senders' input (an error quoting a field,
// a remote address) and must not grow with what a sender chooses to send.
const maxLogField = 512

// capAttr shortens long string values, errors and other values that print as text.
func capAttr(_ []string, a slog.Attr) slog.Attr {
	switch v := a.Value; v.Kind() {
	case slog.KindString:
		if s := v.String(); len(s) > maxLogField {
			a.Value = slog.StringValue(queue.Cut(s, maxLogField))
		}
	case slog.KindAny:
		if s := fmt.Sprint(v.Any()); len(s) > maxLogField {
			a.Value = slog.StringValue(queue.Cut(s, maxLogField))
		}
	}
	return a
}

func cmdServe(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, ef := bindConfig(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := cfg.validate(ef); err != nil {
		return fmt.Errorf("invalid settings:\n%w", err)
	}
	log, err := newLogger(cfg, stderr)
	if err != nil {
		return err
	}
	svc, err := newService(cfg, log, hooks{})
	if err != nil {
		return err
	}
	ln, err := listen(cfg.Port)
	if err != nil {
		svc.store.Close()
		return err
	}
	return svc.run(ctx, ln)
}
