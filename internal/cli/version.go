package cli

import (
	"context"
	"fmt"

	"github.com/dncsync/dncsync/internal/version"
)

// cmdVersion prints the build: the stamped version and commit, else the module's VCS stamp.
func cmdVersion(_ context.Context, o cmdIO, args []string) error {
	e := newEnv(o, "version", "dncsync version")
	if err := e.parse(args); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, version.String())
	return nil
}
