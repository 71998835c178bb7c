package cli

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/dncsync/dncsync/internal/ops"
	"github.com/dncsync/dncsync/internal/printable"
)

// cmdDLQ runs `dncsync dlq list|retry|drop`: through a running service with --server, else on the
// store directly; the same actions (internal/ops) either way.
func cmdDLQ(ctx context.Context, o cmdIO, args []string) error {
	const usage = "dncsync dlq list [--json] | retry NUMBER...|--all | drop NUMBER... --reason TEXT  [--server URL]"
	if len(args) == 0 {
		return usageErr("usage: %s", usage)
	}
	switch args[0] {
	case "list":
		return dlqList(ctx, o, args[1:])
	case "retry":
		return dlqRetry(ctx, o, "dlq retry", args[1:])
	case "drop":
		return dlqDrop(ctx, o, args[1:])
	}
	return usageErr("usage: %s", usage)
}

func dlqList(ctx context.Context, o cmdIO, args []string) error {
	f := newOpFlags(o, "dlq list", "dncsync dlq list [--json] [--limit N] [--server URL] [--destination NAME]")
	f.about = "The dead letters, oldest dead first, each with its last error."
	asJSON := f.fs.Bool("json", false, "print JSON for scripts")
	limit := f.fs.Int("limit", 1000, "most dead letters to list")
	if err := f.parse(args); err != nil {
		return err
	}
	var dl ops.DeadLetters
	var err error
	if *f.server != "" {
		dl, err = f.client().DeadLetters(ctx, *limit)
	} else {
		err = f.withReadOps(func(o *ops.Ops) (err error) { dl, err = o.DeadLetters(ctx, *f.dest, *limit); return err })
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(f.stdout, dl)
	}
	tw := tabwriter.NewWriter(f.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NUMBER\tACTION\tATTEMPTS\tDEAD SINCE\tFIRST RECEIVED\tLAST ERROR")
	for _, d := range dl.DeadLetters {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", printable.Escape(d.Number), printable.Escape(string(d.Action)),
			d.Attempts, d.DeadAt.UTC().Format(time.RFC3339), d.FirstReceivedAt.UTC().Format(time.RFC3339),
			printable.Cut(d.LastError, 120))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(f.stderr, "%d dead letters\n", len(dl.DeadLetters))
	return nil
}

// dlqRetry re-queues the named dead letters, or with --all every one (`requeue-dead` is the same).
func dlqRetry(ctx context.Context, o cmdIO, name string, args []string) error {
	f := newOpFlags(o, name, "dncsync "+name+" [--server URL] [--destination NAME] NUMBER... | --all [--max N]")
	f.about = "Sends dead letters back to the queue with fresh attempts, once their cause is fixed."
	all := f.fs.Bool("all", name == "requeue-dead", "re-queue every dead letter")
	max := f.fs.Int("max", 0, "with --all: re-queue at most this many (0: all)")
	if err := f.parse(args); err != nil {
		return err
	}
	if *all == (f.fs.NArg() > 0) || *max < 0 {
		return usageErr("usage: %s", f.usage)
	}
	if *all {
		var n int
		var err error
		if *f.server != "" {
			n, err = f.client().RequeueAll(ctx, *max)
		} else {
			err = f.withOps(func(o *ops.Ops) (err error) { n, err = o.RequeueDead(ctx, *f.dest, *max); return err })
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(f.stdout, "re-queued %d dead letters\n", n)
		return nil
	}
	var a ops.NumbersAnswer
	var err error
	if *f.server != "" {
		a, err = f.client().RetryDead(ctx, f.fs.Args())
	} else {
		err = f.withOps(func(o *ops.Ops) (err error) { a, err = o.RetryDead(ctx, *f.dest, f.fs.Args()); return err })
	}
	return reportNumbers(f, "re-queued", a.Requeued, a.NotDead, err)
}

func dlqDrop(ctx context.Context, o cmdIO, args []string) error {
	f := newOpFlags(o, "dlq drop", "dncsync dlq drop [--server URL] [--destination NAME] --reason TEXT NUMBER...")
	f.about = "Removes dead letters from the queue without pushing them; the reason is kept in the audit trail."
	reason := f.fs.String("reason", "", "why these opt-outs are not pushed (required; kept in the audit trail)")
	if err := f.parse(args); err != nil {
		return err
	}
	if f.fs.NArg() == 0 {
		return usageErr("usage: %s", f.usage)
	}
	if *reason == "" {
		return errors.New("--reason is required: the audit trail keeps why an opt-out was not pushed")
	}
	var a ops.NumbersAnswer
	var err error
	if *f.server != "" {
		a, err = f.client().DropDead(ctx, f.fs.Args(), *reason)
	} else {
		err = f.withOps(func(o *ops.Ops) (err error) { a, err = o.DropDead(ctx, *f.dest, f.fs.Args(), *reason); return err })
	}
	return reportNumbers(f, "dropped", a.Dropped, a.NotDead, err)
}

// reportNumbers says which numbers were done and which were not dead letters (exit 1 when any
// was not).
func reportNumbers(f *opFlags, verb string, done, notDead []string, err error) error {
	if err != nil {
		return err
	}
	for _, n := range done {
		fmt.Fprintf(f.stdout, "%s %s\n", verb, n)
	}
	for _, n := range notDead {
		fmt.Fprintf(f.stderr, "%s is not a dead letter; left alone\n", n)
	}
	if len(notDead) > 0 {
		return fmt.Errorf("%d of %d numbers were not dead letters", len(notDead), len(done)+len(notDead))
	}
	return nil
}

// cmdRequeueDead is `dlq retry --all`, by its older name.
func cmdRequeueDead(ctx context.Context, o cmdIO, args []string) error {
	return dlqRetry(ctx, o, "requeue-dead", args)
}
