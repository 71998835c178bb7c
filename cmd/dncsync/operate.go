package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dncsync/dncsync/internal/lookup"
	"github.com/dncsync/dncsync/internal/phone"
	"github.com/dncsync/dncsync/internal/printable"
	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/version"
)

// errTooOld makes `dncsync status` exit 1: the oldest unsynced request is older than --max-age.
var errTooOld = errors.New("the oldest unsynced request is older than --max-age")

// opFlags are the flags every operator command shares: the settings, and --server.
type opFlags struct {
	fs     *flag.FlagSet
	cfg    *config
	server *string
	dest   *string
}

func newOpFlags(name string, stderr io.Writer) (*opFlags, *envFlags) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, ef := bindConfig(fs)
	return &opFlags{fs: fs, cfg: cfg,
		server: fs.String("server", "", "base URL of a running dncsync: ask it (uses DNCSYNC_ADMIN_TOKEN) instead of the store"),
		dest:   fs.String("destination", "", "the destination whose dead letters these are (DNCSYNC_DESTINATIONS); default the first")}, ef
}

func (o *opFlags) parse(args []string, ef *envFlags) error {
	if err := o.fs.Parse(args); err != nil {
		return err
	}
	if len(ef.errs) > 0 {
		return errors.Join(ef.errs...)
	}
	return nil
}

func (o *opFlags) client() lookup.Client {
	return lookup.Client{Base: *o.server, Token: o.cfg.AdminToken, Destination: *o.dest}
}

// open opens the store for the destination --destination names (the primary by default).
func (o *opFlags) open() (queue.Store, error) {
	store, err := openStoreBeside(o.cfg)
	if err != nil || *o.dest == "" {
		return store, err
	}
	r, ok := store.(queue.Router)
	if !ok {
		store.Close()
		return nil, errors.New("this store has no destinations")
	}
	view, err := r.Dest(*o.dest)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("--destination: %w (set DNCSYNC_DESTINATIONS as the service has it)", err)
	}
	return view, nil
}

// cmdStatus prints the queue, the compliance clock, the last push and the pace.
func cmdStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, ef := newOpFlags("status", stderr)
	asJSON := o.fs.Bool("json", false, "print JSON for scripts")
	maxAge := o.fs.Duration("max-age", 24*time.Hour, "exit 1 when the oldest unsynced request is older than this (0: never)")
	if err := o.parse(args, ef); err != nil {
		return err
	}
	var st lookup.Status
	var err error
	if *o.server != "" {
		st, err = o.client().Status(ctx)
	} else {
		store, oerr := o.open()
		if oerr != nil {
			return oerr
		}
		defer store.Close()
		st, err = readStatus(ctx, store, *o.dest)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		err = printJSON(stdout, st)
	} else {
		err = printStatus(stdout, st, time.Now())
	}
	if err != nil {
		return err
	}
	if *maxAge > 0 && st.OldestUnsyncedAt != nil && time.Duration(st.OldestUnsyncedAgeSeconds*float64(time.Second)) > *maxAge {
		return fmt.Errorf("%w (%s)", errTooOld, *maxAge)
	}
	return nil
}

func printStatus(w io.Writer, st lookup.Status, now time.Time) error {
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
	}
	if st.LastPushAt == nil {
		row("last push", "never")
	} else {
		row("last push", fmt.Sprintf("%s (%s ago)", st.LastPushAt.Format(time.RFC3339), ago(now.Sub(*st.LastPushAt))))
	}
	switch p := st.Pacing; {
	case p == nil:
		row("pacing", "unknown here (ask a running service with --server)")
	case p.PausedUntil != nil:
		row("pacing", fmt.Sprintf("%.0f requests/min, paused after a 429 for %s more", p.RPM, ago(time.Duration(p.PauseSeconds*float64(time.Second)))))
	default:
		row("pacing", fmt.Sprintf("%.0f requests/min, not paused", p.RPM))
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
	// One line per destination: where the numbers wait.
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DESTINATION	DEPTH	IN FLIGHT	DEAD	OLDEST UNSYNCED	LAST PUSH	PACE")
	for _, name := range slices.Sorted(maps.Keys(st.Destinations)) {
		d := st.Destinations[name]
		oldest, last, pace := "none", "never", "unknown"
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
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t%s\n", name, d.Depth, d.Leased, d.Dead, oldest, last, pace)
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

// cmdDLQ runs `dncsync dlq list|retry|drop`.
func cmdDLQ(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const usage = "usage: dncsync dlq list [--json] | retry NUMBER...|--all | drop NUMBER... --reason TEXT"
	if len(args) == 0 {
		return errors.New(usage)
	}
	o, ef := newOpFlags("dlq "+args[0], stderr)
	switch args[0] {
	case "list":
		asJSON := o.fs.Bool("json", false, "print JSON for scripts")
		limit := o.fs.Int("limit", 1000, "most dead letters to list")
		if err := o.parse(args[1:], ef); err != nil {
			return err
		}
		var dl []queue.DeadLetter
		if *o.server != "" {
			d, err := o.client().DeadLetters(ctx, *limit)
			if err != nil {
				return err
			}
			dl = d.DeadLetters
		} else {
			store, err := o.open()
			if err != nil {
				return err
			}
			defer store.Close()
			if dl, err = store.DeadLetters(ctx, *limit); err != nil {
				return err
			}
		}
		if *asJSON {
			if dl == nil {
				dl = []queue.DeadLetter{}
			}
			return printJSON(stdout, lookup.DeadLetters{DeadLetters: dl})
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "NUMBER\tACTION\tATTEMPTS\tDEAD SINCE\tFIRST RECEIVED\tLAST ERROR")
		for _, d := range dl {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", printable.Escape(d.Number), printable.Escape(string(d.Action)),
				d.Attempts, d.DeadAt.UTC().Format(time.RFC3339), d.FirstReceivedAt.UTC().Format(time.RFC3339),
				printable.Cut(d.LastError, 120))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "%d dead letters\n", len(dl))
		return nil
	case "retry":
		all := o.fs.Bool("all", false, "re-queue every dead letter")
		if err := o.parse(args[1:], ef); err != nil {
			return err
		}
		if *all == (o.fs.NArg() > 0) {
			return errors.New("usage: dncsync dlq retry NUMBER... | --all")
		}
		if *all {
			n, err := retryAll(ctx, o)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "re-queued %d dead letters\n", n)
			return nil
		}
		return actOnNumbers(ctx, o, o.fs.Args(), "re-queued", stdout, stderr,
			func(store queue.Store, nums []string) ([]string, error) { return store.RedriveNumbers(ctx, nums) },
			func(c lookup.Client, nums []string) ([]string, []string, error) {
				a, err := c.RetryDead(ctx, nums)
				return a.Requeued, a.NotDead, err
			})
	case "drop":
		reason := o.fs.String("reason", "", "why these opt-outs are not pushed (required; kept in the audit trail)")
		if err := o.parse(args[1:], ef); err != nil {
			return err
		}
		if o.fs.NArg() == 0 {
			return errors.New("usage: dncsync dlq drop NUMBER... --reason TEXT")
		}
		if strings.TrimSpace(*reason) == "" {
			return errors.New("--reason is required: the audit trail keeps why an opt-out was not pushed")
		}
		return actOnNumbers(ctx, o, o.fs.Args(), "dropped", stdout, stderr,
			func(store queue.Store, nums []string) ([]string, error) { return store.DropDead(ctx, nums, *reason) },
			func(c lookup.Client, nums []string) ([]string, []string, error) {
				a, err := c.DropDead(ctx, nums, *reason)
				return a.Dropped, a.NotDead, err
			})
	}
	return errors.New(usage)
}

// retryAll re-queues every dead letter, a thousand at a time.
func retryAll(ctx context.Context, o *opFlags) (int, error) {
	if *o.server != "" {
		total := 0
		for {
			n, err := o.client().Requeue(ctx, 1000)
			total += n
			if err != nil || n < 1000 {
				return total, err
			}
		}
	}
	store, err := o.open()
	if err != nil {
		return 0, err
	}
	defer store.Close()
	total := 0
	for {
		n, err := store.Redrive(ctx, 1000)
		total += n
		if err != nil || n < 1000 {
			return total, err
		}
	}
}

// actOnNumbers normalizes the numbers given, acts on them through the store or the service, and
// says which were done and which were not dead letters (exit 1 when any was not).
func actOnNumbers(ctx context.Context, o *opFlags, args []string, verb string, stdout, stderr io.Writer,
	direct func(queue.Store, []string) ([]string, error),
	remote func(lookup.Client, []string) ([]string, []string, error)) error {
	var done, notDead []string
	if *o.server != "" {
		var err error
		if done, notDead, err = remote(o.client(), args); err != nil {
			return err
		}
	} else {
		nums := make([]string, len(args))
		for i, a := range args {
			n, err := phone.Parse(a, o.cfg.DefaultRegion)
			if err != nil {
				return fmt.Errorf("%q is not a valid phone number: %w", a, err)
			}
			nums[i] = n.E164
		}
		store, err := o.open()
		if err != nil {
			return err
		}
		defer store.Close()
		if done, err = direct(store, nums); err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, d := range done {
			seen[d] = true
		}
		for _, n := range nums {
			if !seen[n] {
				notDead = append(notDead, n)
			}
		}
	}
	for _, n := range done {
		fmt.Fprintf(stdout, "%s %s\n", verb, n)
	}
	for _, n := range notDead {
		fmt.Fprintf(stderr, "%s is not a dead letter; left alone\n", n)
	}
	if len(notDead) > 0 {
		return fmt.Errorf("%d of %d numbers were not dead letters", len(notDead), len(args))
	}
	return nil
}

// cmdRejected runs `dncsync rejected list`.
func cmdRejected(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "list" {
		return errors.New("usage: dncsync rejected list [--since T] [--limit N] [--json]")
	}
	o, ef := newOpFlags("rejected list", stderr)
	sinceFlag := o.fs.String("since", "", "RFC 3339 time or a duration ago such as 24h; default: any time")
	limit := o.fs.Int("limit", 1000, "most rejections to list, newest first")
	asJSON := o.fs.Bool("json", false, "print JSON for scripts")
	if err := o.parse(args[1:], ef); err != nil {
		return err
	}
	since, err := parseWhen(*sinceFlag, "--since")
	if err != nil {
		return err
	}
	var rs []lookup.Rejection
	if *o.server != "" {
		r, err := o.client().Rejections(ctx, since, *limit)
		if err != nil {
			return err
		}
		rs = r.Rejections
	} else {
		store, err := o.open()
		if err != nil {
			return err
		}
		defer store.Close()
		got, err := store.RejectionsSince(ctx, since, *limit)
		if err != nil {
			return err
		}
		rs = lookup.ToRejections(got)
	}
	if *asJSON {
		return printJSON(stdout, lookup.Rejections{Rejections: rs})
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RECEIVED\tRAW\tREASON\tREGION\tSOURCE\tEVENT ID")
	for _, r := range rs {
		// Every field but the time is the sender's, and shown escaped (printable).
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ReceivedAt.Format(time.RFC3339), printable.Cut(r.Raw, 40),
			printable.Cut(r.Reason, 40), printable.Cut(r.Region, 10), printable.Cut(r.Source, 40), printable.Cut(r.EventID, 60))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%d rejections\n", len(rs))
	return nil
}

// oneLine keeps a value on one table line.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n-1] + "…"
	}
	return s
}

// cmdVersion prints the build: the stamped version and commit, else the module's VCS stamp.
func cmdVersion(stdout io.Writer) error {
	fmt.Fprintln(stdout, version.String())
	return nil
}

// rejectionsLine says what the store holds of rejected input and what it turned away.
func rejectionsLine(r *lookup.RejectionStats) string {
	out := fmt.Sprintf("%d kept (cap %d), %d recorded, %d duplicates, %d shed past the cap, %d not written near the store's limit",
		r.Kept, r.Cap, r.Recorded, r.Duplicates, r.Shed, r.Skipped)
	if r.StoreFill != nil {
		out += fmt.Sprintf("; store %.0f%% full", *r.StoreFill*100)
	}
	return out
}

// readStatus reads the status from the store: of one destination if dest names one, else of all
// (broken down by destination when there are several).
func readStatus(ctx context.Context, store queue.Store, dest string) (lookup.Status, error) {
	r, ok := store.(queue.Router)
	if !ok || dest != "" || len(r.Destinations()) < 2 {
		return lookup.ReadStatus(ctx, store, store, nil, time.Now())
	}
	var lanes []lookup.Lane
	for _, n := range r.Destinations() {
		v, err := r.Dest(n)
		if err != nil {
			return lookup.Status{}, err
		}
		lanes = append(lanes, lookup.Lane{Name: n, Store: v})
	}
	return lookup.ReadStatusAll(ctx, lanes, time.Now())
}
