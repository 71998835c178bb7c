// Package cli is dncsync's command line: one file per command, each starting from the same
// prologue (env.go: its flags, the settings it uses, the store). Main dispatches and turns errors
// into exit statuses.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/dncsync/dncsync/internal/app"
)

// command is one subcommand.
type command struct {
	name     string
	synopsis string // after "dncsync NAME", for the usage
	summary  string // what it does, for the usage
	run      func(ctx context.Context, o cmdIO, args []string) error
}

// commands are every subcommand, in the order the usage lists them.
var commands []command

func init() {
	commands = []command{
		{"demo", "", "the service on your machine: the embedded store and a simulator of each destination of\n" +
			"DNCSYNC_DESTINATIONS (e.g. DNCSYNC_DESTINATIONS=" + allNames() + " dncsync demo)", cmdDemo},
		{"serve", "", "run the service: webhooks and imports in, every destination of DNCSYNC_DESTINATIONS out", cmdServe},
		{"migrate", "[--dry-run]", "bring the PostgreSQL store's schema (DATABASE_URL) to this build's; serve refuses one it does not know", cmdMigrate},
		{"migrate-store", "--from URL|DIR --to postgres://...", "move a deployment's queue and evidence to another store (redis:// or the embedded\n" +
			"store's directory to PostgreSQL); stop serve first; rerunning doubles nothing", cmdMigrateStore},
		{"doctor", "[--destination NAME] [--canary NUMBER]", "check a destination's setup the way dncsync uses it (exit 0 all ok, 1 a check failed)", cmdDoctor},
		{"import", "[--server URL] [--column C] [--report FILE] FILE|-", "load a file of opt-outs (CSV or one number a line, gzip detected); reruns are idempotent\n" +
			"(exit 0 imported, 1 stopped, 2 usage, 3 nothing imported, 4 over --max-rejected not imported)", cmdImport},
		{"scrub", "--channel voice|sms|email|all [--purpose P] [--brand B] [--flag] [--server URL] FILE|-", "write a call list back without the numbers that may not be contacted, with a report of why\n" +
			"(CSV or one number a line, gzip detected; exit 0 scrubbed, 1 stopped, 2 usage)", cmdScrub},
		{"status", "[--json] [--max-age 24h] [--server URL]", "queue, compliance clock, last push, pace\n" +
			"(exit 1 the oldest is older than --max-age, 3 the status could not be read: service or store unreachable)", cmdStatus},
		{"lookup", "[--server URL] NUMBER", "a number's state and history (exit 0 found, 1 never seen, 2 error)", cmdLookup},
		{"dlq", "list [--json] | retry NUMBER...|--all | drop NUMBER... --reason TEXT  [--server URL]", "the dead letters with their errors; re-queue or drop them (drops are kept in the trail)", cmdDLQ},
		{"requeue-dead", "[--max N] [--server URL]", "the same as dlq retry --all: dead letters back to the queue once their cause is fixed", cmdRequeueDead},
		{"rejected", "list [--since T] [--json] [--server URL]", "input that was not a valid number, newest first, to correct and resubmit", cmdRejected},
		{"reconcile", "[--destination NAME] [--dry-run] [--json] [--server URL]", "compare a destination's list with what dncsync synced; re-queue what it lacks", cmdReconcile},
		{"check", "[--destination NAME] NUMBER", "ask a destination whether NUMBER is on its list (exit 0 listed, 1 not, 2 error)", cmdCheck},
		{"subscribe", "--callback-url URL [--destination NAME]", "register the destination's event subscription that posts opt-outs to URL (CXone v2)", cmdSubscribe},
		{"audit", "export [--since T] [--until T] [--format jsonl|csv]", "stream the audit trail for archiving", cmdAudit},
		{"healthcheck", "[--ready] [--url URL]", "ask the service on this host whether it runs (or can take opt-outs): exit 0 or 1", cmdHealthcheck},
		{"load", "--url URL [--requests N --concurrency C --batch B]", "post webhooks at a running service and print the rate it sustained", cmdLoad},
		{"config-doc", "", "print the settings reference (docs/configuration.md) from the declarations", cmdConfigDoc},
		{"version", "", "the build: version, commit, Go", cmdVersion},
	}
}

func allNames() string {
	names := make([]string, len(app.Destinations))
	for i, s := range app.Destinations {
		names[i] = s.Name
	}
	return strings.Join(names, ",")
}

// usage is the program's help: what it is, where to start, the destinations and the commands.
func usage() string {
	var b strings.Builder
	fmt.Fprintf(&b, "dncsync: every opt-out onto the do-not-call lists of %s, fast, with proof.\n\n", app.DestinationTitles("and"))
	fmt.Fprintf(&b, "Start with `dncsync demo` (or `make run`): the whole service on your machine, against simulators.\n\n")
	fmt.Fprintf(&b, "Destinations (DNCSYNC_DESTINATIONS, comma-separated, the first is the primary):\n")
	for _, s := range app.Destinations {
		fmt.Fprintf(&b, "  %-10s %s\n", s.Name, s.Title)
	}
	fmt.Fprintf(&b, "\nUsage:\n")
	for _, c := range commands {
		line := "  dncsync " + c.name
		if c.synopsis != "" {
			line += " " + c.synopsis
		}
		lines := strings.Split(c.summary, "\n")
		if len(line) < 22 {
			fmt.Fprintf(&b, "%-22s%s\n", line, lines[0])
		} else {
			fmt.Fprintf(&b, "%s\n%22s%s\n", line, "", lines[0])
		}
		for _, l := range lines[1:] {
			fmt.Fprintf(&b, "%22s%s\n", "", l)
		}
	}
	fmt.Fprintf(&b, "\nRun \"dncsync COMMAND -h\" for a command's flags and settings. Every setting is also an environment\n"+
		"variable (docs/configuration.md).\n")
	return b.String()
}

// cmdIO are a command's standard streams.
type cmdIO struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// Main runs dncsync with args (without the program's name) and returns the exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return exitUsage
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage())
		return 0
	case "--version":
		args[0] = "version"
	}
	var cmd *command
	for i := range commands {
		if commands[i].name == args[0] {
			cmd = &commands[i]
		}
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "dncsync: unknown command %q\n\n%s", args[0], usage())
		return exitUsage
	}
	ctx, stop := signalContext(stderr)
	defer stop()
	return exitStatus(cmd.name, cmd.run(ctx, cmdIO{stdin, stdout, stderr}, args[1:]), stderr)
}

// exitUsage is the status of a command line that is not one: an unknown command or flag, a missing
// argument.
const exitUsage = 2

// exitError is an error with its own exit status; quiet ones have said what they had to already.
type exitError struct {
	code  int
	err   error
	quiet bool
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// exit gives err the exit status code.
func exit(code int, err error) error { return &exitError{code: code, err: err} }

// usageErr is a command line that is not one (exit 2), saying how it goes.
func usageErr(format string, args ...any) error {
	return exit(exitUsage, fmt.Errorf(format, args...))
}

// errQuiet ends a command whose output already said everything (the doctor's summary) with code.
func errQuiet(code int) error { return &exitError{code: code, err: errors.New("quiet"), quiet: true} }

func exitStatus(name string, err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, errHelp) {
		return 0
	}
	ee := (*exitError)(nil)
	if errors.As(err, &ee) && ee.quiet {
		return ee.code
	}
	fmt.Fprintf(stderr, "dncsync %s: %v\n", name, err)
	if ee != nil {
		return ee.code
	}
	return 1
}

// signalContext is cancelled by the first SIGINT or SIGTERM (graceful shutdown); a second one
// exits at once, leaving in-flight leases to expire and be recovered.
func signalContext(stderr io.Writer) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	done := make(chan struct{})
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case <-ch:
			cancel()
		case <-done:
			return
		}
		select {
		case <-ch:
			fmt.Fprintln(stderr, "dncsync: second signal, exiting now")
			os.Exit(130)
		case <-done:
		}
	}()
	return ctx, func() { signal.Stop(ch); close(done); cancel() }
}
