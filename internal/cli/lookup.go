package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/dncsync/dncsync/internal/adminapi"
	"github.com/dncsync/dncsync/internal/ops"
	"github.com/dncsync/dncsync/internal/queue"
)

// cmdLookup prints a number's state and history: from the store directly, or through a running
// service's /v1 API with --server (the only way while serve holds the embedded store's lock).
// Exit status: 0 found, 1 never seen, 2 error.
func cmdLookup(ctx context.Context, o cmdIO, args []string) error {
	e := newEnv(o, "lookup", "dncsync lookup [--server URL] [--country GB] [--limit N] [--before CURSOR] NUMBER", toolSettings...)
	e.about = "A number's state and history, newest first. Exit status: 0 found, 1 never seen, 2 error."
	server := e.fs.String("server", "", "base URL of a running dncsync (uses DNCSYNC_ADMIN_TOKEN)")
	country := e.fs.String("country", "", "region for a number written without + (default DNCSYNC_DEFAULT_REGION)")
	limit := e.fs.String("limit", "", fmt.Sprintf("history records to show, newest first in pages (default %d, at most %d)", queue.DefaultPageLimit, queue.MaxPageLimit))
	before := e.fs.String("before", "", "show the records before this cursor (an earlier answer's nextBefore)")
	if err := e.parse(args); err != nil {
		return err
	}
	page, err := ops.ParsePage(*limit, *before)
	if err != nil {
		return usageErr("--%w", err)
	}
	if e.fs.NArg() != 1 {
		return usageErr("usage: %s", e.usage)
	}
	if err := e.check(); err != nil {
		return exit(2, err)
	}
	var ans ops.Answer
	if *server != "" {
		ans, err = adminapi.Client{Base: *server, Token: e.cfg.AdminToken}.Number(ctx, e.fs.Arg(0), page)
	} else {
		store, oerr := e.openStoreReadOnly()
		if oerr != nil {
			return exit(2, oerr)
		}
		defer store.Close()
		o, oerr := e.opsOn(store)
		if oerr != nil {
			return exit(2, oerr)
		}
		ans, err = o.Lookup(ctx, e.fs.Arg(0), *country, page)
		if errors.Is(err, ops.ErrBadRegion) {
			err = fmt.Errorf("--country %q: %w", *country, err)
		}
	}
	switch {
	case errors.Is(err, ops.ErrNotFound):
		return exit(1, err)
	case err != nil:
		return exit(2, err)
	}
	return printJSON(e.stdout, ans)
}
