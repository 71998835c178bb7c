package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/phone"
)

// cmdCheck asks a destination whether a number is on its list. Exit status: 0 listed, 1 not
// listed, 2 error.
func cmdCheck(ctx context.Context, o cmdIO, args []string) error {
	e := newEnv(o, "check", "dncsync check [--destination NAME] [--country GB] [--json] NUMBER", destSettings()...)
	e.about = "Asks a destination whether NUMBER is on its list (NICE CXone: the DNC groups, admin profile).\n" +
		"Exit status: 0 listed, 1 not listed, 2 error."
	dest := e.fs.String("destination", "", "the destination to ask; default the first of DNCSYNC_DESTINATIONS")
	country := e.fs.String("country", "", "region for a number written without + (default DNCSYNC_DEFAULT_REGION)")
	asJSON := e.fs.Bool("json", false, "print the destination's answer as JSON")
	if err := e.parse(args); err != nil {
		return err
	}
	if e.fs.NArg() != 1 {
		return usageErr("usage: %s", e.usage)
	}
	spec, _, _, c, err := e.destination(*dest)
	if err != nil {
		return exit(2, err)
	}
	ck, ok := c.(destination.Checker)
	if !ok {
		return exit(2, fmt.Errorf("the %s destination cannot check a number", spec.Name))
	}
	region := *country
	if region == "" {
		region = e.cfg.DefaultRegion
	}
	n, err := phone.Parse(e.fs.Arg(0), region)
	if err != nil {
		return exit(2, fmt.Errorf("%q is not a valid number for region %s: %w", e.fs.Arg(0), region, err))
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	l, err := ck.Check(ctx, n.E164)
	if err != nil {
		return exit(2, err)
	}
	if *asJSON {
		if err := printJSON(e.stdout, map[string]any{"number": n.E164, "listed": l.Listed, "results": l.Detail}); err != nil {
			return exit(2, err)
		}
	} else {
		fmt.Fprintln(e.stdout, l.Text)
	}
	if !l.Listed {
		return errQuiet(1)
	}
	return nil
}
