package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/printable"
	"github.com/dncsync/dncsync/internal/queue"
)

// openStoreBeside opens the store for a command run next to the service. The embedded store takes
// a file lock, so while serve runs the command must go through the service instead.
func openStoreBeside(cfg *config) (queue.Store, error) {
	s, err := openStore(cfg)
	if err != nil {
		return nil, fmt.Errorf("%w (while serve runs on the embedded store, use --server)", err)
	}
	if err := sameDestinations(s, cfg); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// sameDestinations refuses to work on a store with other destinations than the service last
// recorded: an import with fewer would leave its numbers callable on the others.
func sameDestinations(s queue.Store, cfg *config) error {
	rec, ok := s.(queue.Recorder)
	if !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got, err := rec.RecordedDestinations(ctx)
	if err != nil || got == nil {
		return err
	}
	if want := cfg.destinations(); !slices.Equal(got, want) {
		return fmt.Errorf("the service runs with DNCSYNC_DESTINATIONS=%s, this command with %s: set the same, so that "+
			"what it queues reaches every destination", strings.Join(got, ","), strings.Join(want, ","))
	}
	return nil
}

// validateClient checks the settings of a command that talks to CXone but serves no webhooks,
// so sender authentication does not apply.
func validateClient(cfg *config, ef *envFlags) error {
	cfg.WebhookAuth = "none"
	if err := cfg.validate(ef); err != nil {
		return fmt.Errorf("invalid settings:\n%w", err)
	}
	return nil
}

// printJSON writes v indented, for people and scripts alike; the control characters that
// encoding/json leaves in strings are escaped too (printable.JSON), so the same JSON is safe on a
// terminal.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(printable.JSONWriter(w))
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
