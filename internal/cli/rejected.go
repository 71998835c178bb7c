package cli

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/dncsync/dncsync/internal/ops"
	"github.com/dncsync/dncsync/internal/printable"
)

// cmdRejected runs `dncsync rejected list`: input that was not a valid number, newest first.
func cmdRejected(ctx context.Context, o cmdIO, args []string) error {
	const usage = "dncsync rejected list [--since T] [--limit N] [--json] [--server URL]"
	if len(args) == 0 || args[0] != "list" {
		return usageErr("usage: %s", usage)
	}
	f := newOpFlags(o, "rejected list", usage)
	f.about = "Input that was not a valid number, newest first, to correct and resubmit."
	sinceFlag := f.fs.String("since", "", "RFC 3339 time or a duration ago such as 24h; default: any time")
	limit := f.fs.Int("limit", 1000, "most rejections to list, newest first")
	asJSON := f.fs.Bool("json", false, "print JSON for scripts")
	if err := f.parse(args[1:]); err != nil {
		return err
	}
	since, err := parseWhen(*sinceFlag, "--since")
	if err != nil {
		return usageErr("%w", err)
	}
	var rs ops.Rejections
	if *f.server != "" {
		rs, err = f.client().Rejections(ctx, since, *limit)
	} else {
		err = f.withReadOps(func(o *ops.Ops) (err error) { rs, err = o.Rejections(ctx, since, *limit); return err })
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(f.stdout, rs)
	}
	tw := tabwriter.NewWriter(f.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RECEIVED\tRAW\tREASON\tREGION\tSOURCE\tEVENT ID")
	for _, r := range rs.Rejections {
		// Every field but the time is the sender's, and shown escaped (printable).
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ReceivedAt.Format(time.RFC3339), printable.Cut(r.Raw, 40),
			printable.Cut(r.Reason, 40), printable.Cut(r.Region, 10), printable.Cut(r.Source, 40), printable.Cut(r.EventID, 60))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(f.stderr, "%d rejections\n", len(rs.Rejections))
	return nil
}
