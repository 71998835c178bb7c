package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/dncsync/dncsync/internal/loadgen"
)

func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// cmdLoad posts webhooks at a running service and prints what it sustained.
func cmdLoad(ctx context.Context, o cmdIO, args []string) error {
	e := newEnv(o, "load", "dncsync load --url URL [--requests N --concurrency C --batch B]")
	e.about = "Posts webhooks at a running service and prints the rate it sustained."
	fs := e.fs
	var c loadgen.Config
	fs.StringVar(&c.URL, "url", "http://localhost:3000", "base URL of the running service")
	fs.StringVar(&c.Token, "token", "", "bearer token (DNCSYNC_WEBHOOK_AUTH=token)")
	fs.IntVar(&c.Requests, "requests", 100000, "requests to send")
	fs.IntVar(&c.Concurrency, "concurrency", 64, "requests in flight")
	fs.IntVar(&c.Batch, "batch", 1, "events per request")
	fs.IntVar(&c.Distinct, "distinct", 1000000, "distinct numbers cycled through")
	fs.DurationVar(&c.Duration, "duration", 0, "run this long instead of a number of requests (e.g. 20s)")
	fs.BoolVar(&c.Mixed, "mixed", false, "numbers in the formats senders use, not one")
	if err := e.parse(args); err != nil {
		return err
	}
	if c.Duration > 0 && !isSet(fs, "requests") {
		c.Requests = 0 // a timed run is not cut short by the default count
	}
	fmt.Fprintln(e.stdout, loadgen.Run(ctx, c))
	return nil
}
