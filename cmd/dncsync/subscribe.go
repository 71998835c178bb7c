package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/dncsync/dncsync/internal/pusher"
)

// cmdSubscribe registers the CXone event subscription (docs/wire-contract.md, section 4).
func cmdSubscribe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("subscribe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, ef := bindConfig(fs)
	callback := fs.String("callback-url", "", "public URL of this service's /webhook/opt-out")
	name := fs.String("name", "dnc-optout-listener", "subscription name")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if u, err := url.Parse(*callback); err != nil || !u.IsAbs() || (u.Scheme != "https" && u.Scheme != "http") {
		return errors.New("--callback-url must be an absolute https URL, e.g. https://dncsync.example.com/webhook/opt-out")
	}
	if err := validateClient(cfg, ef); err != nil {
		return err
	}
	if cfg.CXoneAPI != "v2" {
		return errors.New("event subscriptions exist only in the v2 profile (CXONE_API=v2); on a real tenant, send opt-outs from Studio (see the README)")
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	id, err := newV2(cfg, pusher.NewPacer(cfg.RateLimitRPM), &http.Client{}).Subscribe(ctx, *name, *callback)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "subscription registered: %s\n", id)
	return nil
}
