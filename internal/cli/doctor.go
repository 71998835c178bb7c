package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/doctor"
	"github.com/dncsync/dncsync/internal/phone"
	"github.com/dncsync/dncsync/internal/pusher"
)

// cmdDoctor checks a destination's setup the way dncsync will use it: its settings first, then
// what its Doctor checks (without one, its login), and with --canary a write proven and undone.
// Each check ends ok, FAIL with what to fix, WARN (the store's settings), or SKIP when one it needs
// did not pass. Exit status 0
// only when none failed. Nothing it prints is a secret.
func cmdDoctor(ctx context.Context, o cmdIO, args []string) error {
	e := newEnv(o, "doctor", "dncsync doctor [--destination NAME] [--canary NUMBER] [--country GB]", append(destSettings(), "DATABASE_URL")...)
	e.about = "Checks a destination's setup the way dncsync uses it; CXONE_API is required, as for serve. With\n" +
		"DATABASE_URL, first the PostgreSQL store: it answers, its schema is this build's, its settings keep commits.\n" +
		"Each check prints ok, FAIL: what to fix, WARN: a risk, or SKIP: the check to fix first. Exit status 0 when\n" +
		"no check failed."
	dest := e.fs.String("destination", "", "the destination to check; default the first of DNCSYNC_DESTINATIONS")
	canary := e.fs.String("canary", "", "a test number you own: add it to the list, find it and take it off again (destinations that can)")
	country := e.fs.String("country", "", "region for a --canary written without + (default DNCSYNC_DEFAULT_REGION)")
	timeout := e.fs.Duration("timeout", 2*time.Minute, "give up after this long")
	if err := e.parse(args); err != nil {
		return err
	}
	if e.fs.NArg() != 0 {
		return usageErr("usage: %s", e.usage)
	}
	spec, settings, err := e.cfg.Dest(*dest)
	if err != nil {
		return usageErr("--destination: %w", err)
	}
	var number string
	if *canary != "" {
		if _, ok := settings.(destination.Canary); !ok {
			return usageErr("--canary: the %s destination has no canary check", spec.Name)
		}
		region := *country
		if region == "" {
			region = e.cfg.DefaultRegion
		}
		n, err := phone.Parse(*canary, region)
		if err != nil {
			return usageErr("--canary %q is not a valid number for region %s: %w", *canary, region, err)
		}
		number = n.E164
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	scope, scopeErr := e.cfg.Scope(spec.Name)
	r := doctor.New(e.stdout)
	if e.cfg.DatabaseURL != "" {
		fmt.Fprintln(e.stdout, "dncsync doctor: checking the PostgreSQL store")
		storeChecks(ctx, r, e.cfg.DatabaseURL)
	}
	fmt.Fprintf(e.stdout, "dncsync doctor: checking the %s destination (%s), scope %s\n", spec.Name, spec.Title, scope)
	r.Check("settings", nil, func() string {
		if err := errors.Join(e.check(), settings.Validate(), scopeErr); err != nil {
			return strings.ReplaceAll(err.Error(), "\n", "; ")
		}
		return ""
	})
	if r.Passed("settings") {
		d := destination.Deps{Pacer: pusher.NewPacer(settings.Pace().RPM)}
		if doc, ok := settings.(destination.Doctor); ok {
			doc.Doctor(ctx, d, r)
		} else {
			r.Check("login", nil, func() string {
				c, err := settings.New(d)
				if err == nil {
					err = c.Login(ctx)
				}
				if err != nil {
					return err.Error()
				}
				return ""
			})
		}
		if number != "" {
			settings.(destination.Canary).Canary(ctx, d, r, number)
		}
	}
	if !r.Summary() {
		return errQuiet(1) // the summary said what to fix
	}
	return nil
}
