package cli

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
)

// cmdSubscribe registers a destination's event subscription that posts opt-outs to dncsync's
// webhook (NICE CXone's v2 profile: docs/wire-contract.md, section 4).
func cmdSubscribe(ctx context.Context, o cmdIO, args []string) error {
	e := newEnv(o, "subscribe", "dncsync subscribe --callback-url URL [--name NAME] [--destination NAME]", destSettings()...)
	e.about = "Registers the destination's event subscription that posts opt-outs to URL (NICE CXone's v2 profile)."
	callback := e.fs.String("callback-url", "", "public URL of this service's /webhook/opt-out")
	name := e.fs.String("name", "dnc-optout-listener", "subscription name")
	dest := e.fs.String("destination", "", "the destination to subscribe at; default the first of DNCSYNC_DESTINATIONS")
	if err := e.parse(args); err != nil {
		return err
	}
	if u, err := url.Parse(*callback); err != nil || !u.IsAbs() || (u.Scheme != "https" && u.Scheme != "http") {
		return usageErr("--callback-url must be an absolute https URL, e.g. https://dncsync.example.com/webhook/opt-out")
	}
	spec, _, _, c, err := e.destination(*dest)
	if err != nil {
		return err
	}
	sub, ok := c.(destination.Subscriber)
	if !ok {
		return fmt.Errorf("the %s destination has no event subscriptions", spec.Name)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	id, err := sub.Subscribe(ctx, *name, *callback)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "subscription registered: %s\n", id)
	return nil
}
