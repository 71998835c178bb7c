package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/dncsync/dncsync/internal/cxone"
	"github.com/dncsync/dncsync/internal/lookup"
	"github.com/dncsync/dncsync/internal/pusher"
	"github.com/dncsync/dncsync/internal/queue"
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
	if err := fs.Parse(args); err != nil {
		return err
	}
	var rep reconcile.Report
	if *server != "" {
		if len(ef.errs) > 0 {
			return errors.Join(ef.errs...)
		}
		if err := (lookup.Client{Base: *server, Token: cfg.AdminToken}).Reconcile(ctx, *dryRun, &rep); err != nil {
			return err
		}
	} else {
		cfg.WebhookAuth = "none" // not serving
		if err := cfg.validate(ef); err != nil {
			return fmt.Errorf("invalid settings:\n%w", err)
		}
		if cfg.CXoneAPI != "admin" {
			return errors.New("reconcile reads the DNC group, which exists in the admin profile (CXONE_API=admin)")
		}
		store, err := openStore(cfg)
		if err != nil {
			return fmt.Errorf("%w (while serve runs on the embedded store, use --server)", err)
		}
		defer store.Close()
		admin := newAdmin(cfg, pusher.NewPacer(cfg.RateLimitRPM), &http.Client{})
		if rep, err = reconcileWith(ctx, admin, store, *dryRun); err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	verb := "re-queued"
	if rep.DryRun {
		verb = "would re-queue"
	}
	fmt.Fprintf(stdout, "CXone group: %d numbers; dncsync synced: %d; missing on CXone: %d (%s %d)\n",
		rep.OnCXone, rep.Synced, len(rep.Missing), verb, len(rep.Missing))
	fmt.Fprintf(stdout, "removed by dncsync but still listed: %d; listed but never seen by dncsync: %d\n",
		len(rep.RemovedButOn), rep.UnknownOnCXone)
	return nil
}

func reconcileWith(ctx context.Context, admin *cxone.Admin, store queue.Store, dryRun bool) (reconcile.Report, error) {
	return reconcile.Run(ctx, admin, store, store, dryRun, time.Now())
}
