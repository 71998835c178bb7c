package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/genesys"
	"github.com/dncsync/dncsync/internal/lookup"
	"github.com/dncsync/dncsync/internal/pusher"
	"github.com/dncsync/dncsync/internal/reconcile"
)

// cmdReconcile compares the CXone DNC group with what dncsync synced and re-queues what CXone
// lacks; directly on the store, or in a running service with --server (needed while serve holds
// the embedded store).
func cmdReconcile(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reconcile", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, ef := bindConfig(fs)
	dryRun := fs.Bool("dry-run", false, "report only; change nothing")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	server := fs.String("server", "", "run it in the service at this URL (uses DNCSYNC_ADMIN_TOKEN)")
	dest := fs.String("destination", "", "the destination to reconcile: cxone (admin profile) or genesys; default the first of DNCSYNC_DESTINATIONS")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var rep reconcile.Report
	if *server != "" {
		if len(ef.errs) > 0 {
			return errors.Join(ef.errs...)
		}
		if err := (lookup.Client{Base: *server, Token: cfg.AdminToken, Destination: *dest}).Reconcile(ctx, *dryRun, &rep); err != nil {
			return err
		}
	} else {
		if err := validateClient(cfg, ef); err != nil {
			return err
		}
		names := cfg.destinations()
		name := *dest
		if name == "" {
			name = names[0]
		}
		if !slices.Contains(names, name) {
			return fmt.Errorf("--destination %q is not in DNCSYNC_DESTINATIONS (%s)", name, strings.Join(names, ","))
		}
		var ls reconcile.Lister
		switch name {
		case destCXone:
			if cfg.CXoneAPI != "admin" {
				return errors.New("reconcile reads the DNC group, which exists in the admin profile (CXONE_API=admin)")
			}
			ls = newAdmin(cfg, pusher.NewPacer(cfg.RateLimitRPM), &http.Client{}, nil)
		case destGenesys:
			ls = genesys.New(cfg.genesysConfig(pusher.NewPacer(cfg.GenesysRPM), &http.Client{}))
		default:
			return fmt.Errorf("the %s destination cannot list its numbers: nothing to reconcile", name)
		}
		store, err := openStoreBeside(cfg)
		if err != nil {
			return err
		}
		defer store.Close()
		label := ""
		if len(names) > 1 {
			label = name
		}
		if rep, err = reconcile.RunFor(ctx, ls, store, store, label, *dryRun, time.Now()); err != nil {
			return err
		}
	}
	if *asJSON {
		return printJSON(stdout, rep)
	}
	verb := "re-queued"
	if rep.DryRun {
		verb = "would re-queue"
	}
	fmt.Fprintf(stdout, "the list: %d numbers; dncsync synced: %d; missing from it: %d (%s %d)\n",
		rep.OnCXone, rep.Synced, len(rep.Missing), verb, len(rep.Missing))
	fmt.Fprintf(stdout, "removed by dncsync but still listed: %d; listed but never seen by dncsync: %d\n",
		len(rep.RemovedButOn), rep.UnknownOnCXone)
	return nil
}
