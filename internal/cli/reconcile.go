package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/dncsync/dncsync/internal/adminapi"
	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/reconcile"
)

// cmdReconcile compares a destination's list with what dncsync synced there and re-queues what the
// list lacks: on the store directly, or in a running service with --server (needed while serve
// holds the embedded store).
func cmdReconcile(ctx context.Context, o cmdIO, args []string) error {
	e := newEnv(o, "reconcile", "dncsync reconcile [--destination NAME] [--dry-run] [--json] [--server URL]",
		slices.Concat(destSettings(), toolSettings)...)
	e.about = "Compares a destination's list with what dncsync confirmed to it and re-queues what the list lacks;\n" +
		"it never removes a number. The destination must be able to read its list (NICE CXone: the admin profile)."
	dryRun := e.fs.Bool("dry-run", false, "report only; change nothing")
	asJSON := e.fs.Bool("json", false, "print the report as JSON")
	server := e.fs.String("server", "", "run it in the service at this URL (uses DNCSYNC_ADMIN_TOKEN)")
	dest := e.fs.String("destination", "", "the destination to reconcile; default the first of DNCSYNC_DESTINATIONS")
	if err := e.parse(args); err != nil {
		return err
	}
	if e.fs.NArg() != 0 {
		return usageErr("usage: %s", e.usage)
	}
	var rep reconcile.Report
	if *server != "" {
		if err := e.check(); err != nil {
			return err
		}
		c := adminapi.Client{Base: *server, Token: e.cfg.AdminToken, Destination: *dest}
		if err := c.Reconcile(ctx, *dryRun, &rep); err != nil {
			return err
		}
	} else {
		names := e.cfg.Destinations()
		name := *dest
		if name == "" {
			name = names[0]
		}
		if !slices.Contains(names, name) {
			return fmt.Errorf("--destination %q is not in DNCSYNC_DESTINATIONS (%s)", name, strings.Join(names, ","))
		}
		_, _, _, c, err := e.destination(name)
		if err != nil {
			return err
		}
		store, err := e.openStore()
		if err != nil {
			return err
		}
		defer store.Close()
		o, err := e.opsOn(store)
		if err != nil {
			return err
		}
		for i := range o.Lanes {
			if ls, ok := c.(destination.Lister); ok && o.Lanes[i].Name == name {
				o.Lanes[i].Lister = ls
			}
		}
		if rep, err = o.Reconcile(ctx, name, *dryRun); err != nil {
			return err
		}
	}
	if *asJSON {
		return printJSON(e.stdout, rep)
	}
	verb := "re-queued"
	if rep.DryRun {
		verb = "would re-queue"
	}
	fmt.Fprintf(e.stdout, "the list: %d numbers; dncsync synced: %d; missing from it: %d (%s %d)\n",
		rep.OnCXone, rep.Synced, len(rep.Missing), verb, len(rep.Missing))
	fmt.Fprintf(e.stdout, "removed by dncsync but still listed: %d; listed but never seen by dncsync: %d\n",
		len(rep.RemovedButOn), rep.UnknownOnCXone)
	return nil
}
