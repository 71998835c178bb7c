package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/dncsync/dncsync/internal/app"
	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/ops"
	"github.com/dncsync/dncsync/internal/printable"
	"github.com/dncsync/dncsync/internal/pusher"
	"github.com/dncsync/dncsync/internal/setting"
)

// env is every command's prologue: its flag set, the service's settings (all declared, the flags
// of those it uses registered), and the way to the store.
type env struct {
	cmdIO
	name  string // "dlq retry"
	usage string // "dncsync dlq retry [flags] NUMBER...|--all"
	about string // what help says between the usage and the flags
	fs    *flag.FlagSet
	set   *setting.Set
	cfg   *app.Config
	uses  []string // the settings it registers as flags: groups or variables, or allSettings
}

// allSettings makes a command take every setting as a flag (serve, demo).
const allSettings = "*"

// The settings the commands use beside the service.
var (
	// toolSettings are a command's on the store beside the service, or through it with --server.
	toolSettings = []string{app.GroupStore, "DNCSYNC_DESTINATIONS", "DNCSYNC_DEFAULT_REGION", "DNCSYNC_ADMIN_TOKEN"}
)

// destSettings are a command's that talks to a destination: every destination's.
func destSettings() []string {
	out := []string{"DNCSYNC_DESTINATIONS", "DNCSYNC_DEFAULT_REGION"}
	for _, s := range app.Destinations {
		out = append(out, s.Group())
	}
	return out
}

// newEnv starts a command: uses names the settings it takes as flags (groups or variables, or
// allSettings); none: only its own flags.
func newEnv(o cmdIO, name, usage string, uses ...string) *env {
	set := setting.New("")
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parse says what went wrong, and -h prints the help
	return &env{cmdIO: o, name: name, usage: usage, fs: fs, set: set, cfg: app.Bind(set), uses: uses}
}

// errHelp ends a command whose help was asked for (exit 0).
var errHelp = flag.ErrHelp

// parse registers the settings' flags beside the command's own and parses args. -h prints the
// help to stdout; a flag that is not one is a usage error. It does not check the settings: see
// check and Config.Validate.
func (e *env) parse(args []string) error {
	switch {
	case len(e.uses) == 1 && e.uses[0] == allSettings:
		e.set.Register(e.fs)
	case len(e.uses) > 0:
		e.set.Register(e.fs, e.uses...)
	}
	err := e.fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		e.help(e.stdout)
		return errHelp
	case err != nil:
		return usageErr("%v\nRun \"dncsync %s -h\" for its flags and settings.", err, e.name)
	}
	return nil
}

// help prints the command's usage, its own flags, then its settings by component.
func (e *env) help(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s\n", e.usage)
	if e.about != "" {
		fmt.Fprintf(w, "\n%s\n", e.about)
	}
	fmt.Fprintln(w)
	e.set.PrintHelp(w, e.fs)
}

// check is every problem the settings show on their own (values that could not be read, secrets
// with spaces), each naming its variable.
func (e *env) check() error { return e.set.Err() }

// openStore opens the store for a command run beside the service, refusing one the service runs
// with other destinations. The embedded store takes a file lock: while serve runs, the command
// must go through the service.
func (e *env) openStore() (*app.Store, error) { return e.open(app.OpenStore) }

// openStoreReadOnly is openStore for a command that only reads: the embedded store opens
// read-only (app.OpenStoreReadOnly), beside other readers; still not beside serve.
func (e *env) openStoreReadOnly() (*app.Store, error) { return e.open(app.OpenStoreReadOnly) }

func (e *env) open(open func(*app.Config) (*app.Store, error)) (*app.Store, error) {
	s, err := open(e.cfg)
	if errors.Is(err, app.ErrStoreLocked) {
		return nil, fmt.Errorf("%w (while serve runs on the embedded store, use --server)", err)
	}
	if err != nil {
		return nil, err
	}
	if err := s.SameDestinations(e.cfg.Destinations()); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// opsOn are the operator's actions on s, one lane per destination it was opened with.
func (e *env) opsOn(s *app.Store) (*ops.Ops, error) {
	o := &ops.Ops{Store: s, DefaultRegion: e.cfg.DefaultRegion}
	for _, n := range s.Destinations() {
		v, err := s.Dest(n)
		if err != nil {
			return nil, err
		}
		o.Lanes = append(o.Lanes, ops.Lane{Name: n, Store: v, Scope: e.cfg.Scopes()[n]})
	}
	return o, nil
}

// destination is the destination name names (the primary for ""), its settings checked, and a
// client of it paced at its own limit in this process.
func (e *env) destination(name string) (destination.Spec, destination.Settings, destination.Deps, destination.Client, error) {
	spec, settings, err := e.cfg.Dest(name)
	if err != nil {
		return spec, nil, destination.Deps{}, nil, fmt.Errorf("--destination: %w", err)
	}
	if err := errors.Join(e.check(), settings.Validate()); err != nil {
		return spec, settings, destination.Deps{}, nil, fmt.Errorf("invalid settings:\n%w", err)
	}
	d := destination.Deps{Pacer: pusher.NewPacer(settings.Pace().RPM)}
	c, err := settings.New(d)
	return spec, settings, d, c, err
}

// printJSON writes v indented, for people and scripts alike; the control characters that
// encoding/json leaves in strings are escaped too (printable.JSON), so the same JSON is safe on a
// terminal.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(printable.JSONWriter(w))
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// parseWhen reads a time flag: RFC 3339, or a duration ago.
func parseWhen(s, flagName string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return time.Now().Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%s %q: want an RFC 3339 time or a duration such as 720h", flagName, s)
}
