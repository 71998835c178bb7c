package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/dncsync/dncsync/internal/lookup"
	"github.com/dncsync/dncsync/internal/queue"
)

// cmdLookup prints a number's state and history: from the store directly, or through a running
// service's /v1 API with --server (the only way while serve holds the embedded store's lock).
// Exit status: 0 found, 1 never seen, 2 error — handled by the caller through errNotFound.
func cmdLookup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("lookup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, ef := bindConfig(fs)
	server := fs.String("server", "", "base URL of a running dncsync (uses DNCSYNC_ADMIN_TOKEN)")
	country := fs.String("country", "", "region for a number written without + (default DNCSYNC_DEFAULT_REGION)")
	limit := fs.String("limit", "", fmt.Sprintf("history records to show, newest first in pages (default %d, at most %d)", queue.DefaultPageLimit, queue.MaxPageLimit))
	before := fs.String("before", "", "show the records before this cursor (an earlier answer's nextBefore)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	page, err := lookup.ParsePage(*limit, *before)
	if err != nil {
		return fmt.Errorf("--%w", err)
	}
	if fs.NArg() != 1 {
		return errors.New("usage: dncsync lookup [--server URL] NUMBER")
	}
	if len(ef.errs) > 0 {
		return errors.Join(ef.errs...)
	}
	query := fs.Arg(0)
	var ans lookup.Answer
	if *server != "" {
		a, err := lookup.Client{Base: *server, Token: cfg.AdminToken}.Number(ctx, query, page)
		if errors.Is(err, lookup.ErrNotFound) {
			return errNotFound
		}
		if err != nil {
			return err
		}
		ans = a
	} else {
		store, err := openStoreBeside(cfg)
		if err != nil {
			return err
		}
		defer store.Close()
		key, err := lookup.Key(query, *country, cfg.DefaultRegion)
		if err != nil {
			return fmt.Errorf("--country %q: %w", *country, err)
		}
		if key == "" {
			return errNotFound
		}
		h, found, err := store.Lookup(ctx, key, page)
		if err != nil {
			return err
		}
		if !found {
			return errNotFound
		}
		ans = lookup.NewAnswer(query, h)
	}
	return printJSON(stdout, ans)
}

var errNotFound = errors.New("never seen")

// cmdAudit runs `dncsync audit export`.
func cmdAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "export" {
		return errors.New("usage: dncsync audit export [--since T] [--until T] [--format jsonl|csv]")
	}
	fs := flag.NewFlagSet("audit export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, ef := bindConfig(fs)
	since := fs.String("since", "", "RFC 3339 time or a duration ago such as 720h; default: the beginning")
	until := fs.String("until", "", "RFC 3339 time (exclusive); default: now")
	format := fs.String("format", "jsonl", "jsonl or csv")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if len(ef.errs) > 0 {
		return errors.Join(ef.errs...)
	}
	from, err := parseWhen(*since, "--since")
	if err != nil {
		return err
	}
	to, err := parseWhen(*until, "--until")
	if err != nil {
		return err
	}
	w, err := lookup.NewWriter(stdout, *format)
	if err != nil {
		return err
	}
	store, err := openStore(cfg)
	if err != nil {
		return fmt.Errorf("%w (stop serve to export the embedded store, or export from Redis)", err)
	}
	defer store.Close()
	if err := store.Export(ctx, from, to, func(r queue.AuditRecord) error { return w.Write(r) }); err != nil {
		return err
	}
	return w.Flush()
}

func parseWhen(s, flagName string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return time.Now().Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%s %q: want an RFC 3339 time or a duration such as 720h", flagName, s)
}
