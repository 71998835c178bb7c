package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/dncsync/dncsync/internal/queue"
)

// openStoreBeside opens the store for a command run next to the service. The embedded store takes
// a file lock, so while serve runs the command must go through the service instead.
func openStoreBeside(cfg *config) (queue.Store, error) {
	s, err := openStore(cfg)
	if err != nil {
		return nil, fmt.Errorf("%w (while serve runs on the embedded store, use --server)", err)
	}
	return s, nil
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

// printJSON writes v indented, for people and scripts alike.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
