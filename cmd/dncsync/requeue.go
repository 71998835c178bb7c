package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/dncsync/dncsync/internal/lookup"
)

// cmdRequeueDead sends dead letters back to the queue with fresh attempts, once the cause is
// fixed: directly on the store, or through a running service with --server.
func cmdRequeueDead(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("requeue-dead", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, ef := bindConfig(fs)
	max := fs.Int("max", 1000, "most dead letters to re-queue")
	server := fs.String("server", "", "base URL of a running dncsync (uses DNCSYNC_ADMIN_TOKEN)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if len(ef.errs) > 0 {
		return errors.Join(ef.errs...)
	}
	if *max < 1 {
		return errors.New("--max must be at least 1")
	}
	var n int
	var err error
	if *server != "" {
		n, err = lookup.Client{Base: *server, Token: cfg.AdminToken}.Requeue(ctx, *max)
	} else {
		store, oerr := openStoreBeside(cfg)
		if oerr != nil {
			return oerr
		}
		defer store.Close()
		n, err = store.Redrive(ctx, *max)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "re-queued %d dead letters\n", n)
	return nil
}
