package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/dncsync/dncsync/internal/loadgen"
)

func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// cmdLoad posts webhooks at a running service and prints what it sustained.
func cmdLoad(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c loadgen.Config
	fs.StringVar(&c.URL, "url", "http://localhost:3000", "base URL of the running service")
	fs.StringVar(&c.Token, "token", "", "bearer token (DNCSYNC_WEBHOOK_AUTH=token)")
	fs.IntVar(&c.Requests, "requests", 100000, "requests to send")
	fs.IntVar(&c.Concurrency, "concurrency", 64, "requests in flight")
	fs.IntVar(&c.Batch, "batch", 1, "events per request")
	fs.IntVar(&c.Distinct, "distinct", 1000000, "distinct numbers cycled through")
	fs.DurationVar(&c.Duration, "duration", 0, "run this long instead of a number of requests (e.g. 20s)")
	fs.BoolVar(&c.Mixed, "mixed", false, "numbers in the formats senders use, not one")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.Duration > 0 && !isSet(fs, "requests") {
		c.Requests = 0 // a timed run is not cut short by the default count
	}
	fmt.Fprintln(stdout, loadgen.Run(ctx, c))
	return nil
}
