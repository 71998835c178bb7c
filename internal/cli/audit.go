package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/dncsync/dncsync/internal/app"
	"github.com/dncsync/dncsync/internal/ops"
)

// cmdAudit runs `dncsync audit export`: the audit trail as JSON lines or CSV, for archiving.
func cmdAudit(ctx context.Context, o cmdIO, args []string) error {
	const usage = "dncsync audit export [--since T] [--until T] [--format jsonl|csv]"
	if len(args) == 0 || args[0] != "export" {
		return usageErr("usage: %s", usage)
	}
	e := newEnv(o, "audit export", usage, app.GroupStore, "DNCSYNC_DESTINATIONS")
	e.about = "Streams the audit records written in [--since, --until) to stdout, in the order written.\n" +
		"It reads the store directly: stop serve first on the embedded store."
	since := e.fs.String("since", "", "RFC 3339 time or a duration ago such as 720h; default: the beginning")
	until := e.fs.String("until", "", "RFC 3339 time (exclusive); default: now")
	format := e.fs.String("format", "jsonl", "jsonl or csv")
	if err := e.parse(args[1:]); err != nil {
		return err
	}
	if err := e.check(); err != nil {
		return err
	}
	from, err := parseWhen(*since, "--since")
	if err != nil {
		return usageErr("%w", err)
	}
	to, err := parseWhen(*until, "--until")
	if err != nil {
		return usageErr("%w", err)
	}
	if _, err := ops.NewWriter(io.Discard, *format); err != nil { // the format, checked before the store opens
		return usageErr("%w", err)
	}
	store, err := app.OpenStore(e.cfg)
	if err != nil {
		return fmt.Errorf("%w (stop serve to export the embedded store, or export from Redis)", err)
	}
	defer store.Close()
	return (&ops.Ops{Store: store}).Export(ctx, from, to, *format, e.stdout)
}
