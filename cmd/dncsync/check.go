package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/dncsync/dncsync/internal/phone"
	"github.com/dncsync/dncsync/internal/pusher"
)

// errNotListed makes `dncsync check` exit 1.
var errNotListed = errors.New("not listed")

// cmdCheck asks CXone (admin profile: the DNC group search) whether a number is on a DNC group.
// Exit status: 0 listed, 1 not listed, 2 error.
func cmdCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, ef := bindConfig(fs)
	country := fs.String("country", "", "region for a number written without + (default DNCSYNC_DEFAULT_REGION)")
	asJSON := fs.Bool("json", false, "print the search results as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: dncsync check [--country GB] [--json] NUMBER")
	}
	if err := validateClient(cfg, ef); err != nil {
		return err
	}
	if cfg.CXoneAPI != "admin" {
		return errors.New("check searches DNC groups, which exist in the admin profile (CXONE_API=admin)")
	}
	region := *country
	if region == "" {
		region = cfg.DefaultRegion
	}
	n, err := phone.Parse(fs.Arg(0), region)
	if err != nil {
		return fmt.Errorf("%q is not a valid number for region %s: %w", fs.Arg(0), region, err)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	res, err := newAdmin(cfg, pusher.NewPacer(cfg.RateLimitRPM), &http.Client{}, nil).Search(ctx, n.E164)
	if err != nil {
		return err
	}
	listed := false
	for _, r := range res {
		if r.Active(time.Now()) {
			listed = true
		}
	}
	if *asJSON {
		if err := printJSON(stdout, map[string]any{"number": n.E164, "listed": listed, "results": res}); err != nil {
			return err
		}
	} else if listed {
		fmt.Fprintf(stdout, "%s is on %d DNC group(s)\n", n.E164, len(res))
	} else {
		fmt.Fprintf(stdout, "%s is not on a DNC group\n", n.E164)
	}
	if !listed {
		return errNotListed
	}
	return nil
}
