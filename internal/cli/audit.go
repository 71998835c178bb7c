package cli

import (
	"context"
	"errors"
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
		"It reads the store directly; the embedded store opens read-only, beside other readers but not beside serve:\n" +
		"stop serve first."
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
	store, err := app.OpenStoreReadOnly(e.cfg)
	if errors.Is(err, app.ErrStoreLocked) {
		return fmt.Errorf("%w (stop serve to export the embedded store: it has no --server way)", err)
	}
	if err != nil {
		return err
	}
	defer store.Close()
	return (&ops.Ops{Store: store}).Export(ctx, from, to, *format, e.stdout)
}
