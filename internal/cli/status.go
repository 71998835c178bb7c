package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/dncsync/dncsync/internal/adminapi"
	"github.com/dncsync/dncsync/internal/app"
	"github.com/dncsync/dncsync/internal/ops"
	"github.com/dncsync/dncsync/internal/queue"
)

// Exit statuses of `dncsync status` beside 0 (all well) and 2 (usage).
const (
	// exitTooOld: the oldest unsynced request is older than --max-age.
	exitTooOld = 1
	// exitNoStatus: the status could not be read: the service (--server) or the store did not
	// answer. A monitor must not take it for "too old", nor for well.
	exitNoStatus = 3
)

// errTooOld says the compliance clock ran past --max-age.
var errTooOld = errors.New("the oldest unsynced request is older than --max-age")

// opFlags are the flags every operator command shares beside the settings: --server and
// --destination.
type opFlags struct {
	*env
	server *string
	dest   *string
}

func newOpFlags(o cmdIO, name, usage string) *opFlags {
	e := newEnv(o, name, usage, toolSettings...)
	return &opFlags{env: e,
		server: e.fs.String("server", "", "base URL of a running dncsync: ask it (uses DNCSYNC_ADMIN_TOKEN) instead of the store"),
		dest:   e.fs.String("destination", "", "the destination (DNCSYNC_DESTINATIONS) whose queue this is; default the first")}
}

// parse parses args and checks the settings.
func (f *opFlags) parse(args []string) error {
	if err := f.env.parse(args); err != nil {
		return err
	}
	return f.check()
}

func (f *opFlags) client() adminapi.Client {
	return adminapi.Client{Base: *f.server, Token: f.cfg.AdminToken, Destination: *f.dest}
}

// withOps runs fn on the operator's actions over the store, opened beside the service.
func (f *opFlags) withOps(fn func(*ops.Ops) error) error { return f.on(f.openStore, fn) }

// withReadOps is withOps for actions that only read: the embedded store opens read-only.
func (f *opFlags) withReadOps(fn func(*ops.Ops) error) error { return f.on(f.openStoreReadOnly, fn) }

func (f *opFlags) on(open func() (*app.Store, error), fn func(*ops.Ops) error) error {
	store, err := open()
	if err != nil {
		return err
	}
	defer store.Close()
	o, err := f.opsOn(store)
	if err != nil {
		return err
	}
	return fn(o)
}

// cmdStatus prints the queue, the compliance clock, the last push and the pace.
func cmdStatus(ctx context.Context, o cmdIO, args []string) error {
	f := newOpFlags(o, "status", "dncsync status [--json] [--max-age 24h] [--server URL] [--destination NAME]")
	f.about = "The queue, the compliance clock, the last push and the pace; with several destinations, each one's.\n" +
		"Exit status: 0; 1 the oldest unsynced request is older than --max-age; 2 usage; 3 the status could not\n" +
		"be read (the service or the store did not answer)."
	asJSON := f.fs.Bool("json", false, "print JSON for scripts")
	maxAge := f.fs.Duration("max-age", 24*time.Hour, "exit 1 when the oldest unsynced request is older than this (0: never)")
	if err := f.env.parse(args); err != nil {
		return err
	}
	if err := f.check(); err != nil {
		return exit(exitUsage, err) // not 1: a monitor would read it as "too old"
	}
	var st ops.Status
	var err error
	if *f.server != "" {
		st, err = f.client().Status(ctx)
	} else {
		err = f.withReadOps(func(o *ops.Ops) (err error) { st, err = o.Status(ctx, *f.dest); return err })
	}
	if err != nil {
		return exit(exitNoStatus, err)
	}
	if *asJSON {
		err = printJSON(f.stdout, st)
	} else {
		err = printStatus(f.stdout, st, time.Now())
	}
	if err != nil {
		return err
	}
	if *maxAge > 0 && st.OldestUnsyncedAt != nil && time.Duration(st.OldestUnsyncedAgeSeconds*float64(time.Second)) > *maxAge {
		return exit(exitTooOld, fmt.Errorf("%w (%s)", errTooOld, *maxAge))
	}
	return nil
}

func printStatus(w io.Writer, st ops.Status, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	row("depth", fmt.Sprint(st.Depth))
	row("ready", fmt.Sprint(st.Ready))
	row("in flight", fmt.Sprint(st.Leased))
	row("dead letters", fmt.Sprint(st.Dead))
	if st.OldestUnsyncedAt == nil {
		row("oldest unsynced", "none")
	} else {
		row("oldest unsynced", fmt.Sprintf("%s (%s ago, %d of %d business days)", st.OldestUnsyncedAt.Format(time.RFC3339),
			ago(time.Duration(st.OldestUnsyncedAgeSeconds*float64(time.Second))), st.OldestUnsyncedBusinessDays,
			queue.DeadlineBusinessDays))
		if st.OldestUnsyncedDueBy != nil {
			row("due by", st.OldestUnsyncedDueBy.Format("Mon 2 Jan 2006")+" (end of its 10th business day, UTC)")
		}
	}
	if st.LastPushAt == nil {
		row("last push", "never")
	} else {
		row("last push", fmt.Sprintf("%s (%s ago)", st.LastPushAt.Format(time.RFC3339), ago(now.Sub(*st.LastPushAt))))
	}
	switch p := st.Pacing; {
	case len(st.Destinations) > 0:
	case p == nil:
		row("pacing", "unknown here (ask a running service with --server)")
	case p.PausedUntil != nil:
		row("pacing", fmt.Sprintf("%.0f requests/min, paused after a 429 for %s more", p.RPM, ago(time.Duration(p.PauseSeconds*float64(time.Second)))))
	default:
		row("pacing", fmt.Sprintf("%.0f requests/min, not paused", p.RPM))
	}
	if st.Waiting != "" {
		row("window", st.Waiting)
	}
	if r := st.Rejections; r != nil {
		row("rejections", rejectionsLine(r))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(st.Destinations) == 0 {
		return nil
	}
	// One line per destination: where the numbers wait, and each one's pace.
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DESTINATION	SCOPE	DEPTH	IN FLIGHT	DEAD	OLDEST UNSYNCED	LAST PUSH	PACE")
	for _, name := range slices.Sorted(maps.Keys(st.Destinations)) {
		d := st.Destinations[name]
		oldest, last, pace := "none", "never", "unknown here"
		if d.OldestUnsyncedAt != nil {
			oldest = fmt.Sprintf("%s ago (%d bd)", ago(time.Duration(d.OldestUnsyncedAgeSeconds*float64(time.Second))),
				d.OldestUnsyncedBusinessDays)
		}
		if d.LastPushAt != nil {
			last = ago(now.Sub(*d.LastPushAt)) + " ago"
		}
		if d.Pacing != nil {
			pace = fmt.Sprintf("%.0f/min", d.Pacing.RPM)
			if d.Pacing.PausedUntil != nil {
				pace += fmt.Sprintf(", 429 pause %.0fs", d.Pacing.PauseSeconds)
			}
		}
		if d.Waiting != "" {
			pace += ", " + d.Waiting
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\n", name, cmp.Or(d.Scope, "?"), d.Depth, d.Leased, d.Dead, oldest, last, pace)
	}
	return tw.Flush()
}

// ago is d rounded for people.
func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < 48*time.Hour:
		return d.Round(time.Minute).String()
	}
	return fmt.Sprintf("%.1f days", d.Hours()/24)
}

// rejectionsLine says what the store holds of rejected input and what it turned away.
func rejectionsLine(r *ops.RejectionStats) string {
	out := fmt.Sprintf("%d kept (cap %d), %d recorded, %d duplicates, %d shed past the cap, %d not written near the store's limit",
		r.Kept, r.Cap, r.Recorded, r.Duplicates, r.Shed, r.Skipped)
	if r.StoreFill != nil {
		out += fmt.Sprintf("; store %.0f%% full", *r.StoreFill*100)
	}
	return out
}
