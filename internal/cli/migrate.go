package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/dncsync/dncsync/internal/queue/pgq"
)

// cmdMigrate runs `dncsync migrate`: brings the PostgreSQL store's schema (DATABASE_URL) to this
// build's, the steps embedded in the binary; --dry-run lists them and changes nothing.
func cmdMigrate(ctx context.Context, o cmdIO, args []string) error {
	e := newEnv(o, "migrate", "dncsync migrate [--dry-run]", "DATABASE_URL")
	e.about = "Brings the PostgreSQL store's schema to the version this build runs on, one step at a time, each in\n" +
		"a transaction. serve refuses a schema it does not know; run this before starting a new version.\n" +
		"Concurrent runs wait for each other; a schema already current is left as it is."
	dry := e.fs.Bool("dry-run", false, "list the steps that would run, change nothing")
	if err := e.parse(args); err != nil {
		return err
	}
	if err := e.check(); err != nil {
		return err
	}
	if e.fs.NArg() > 0 {
		return usageErr("migrate takes no arguments: %q", e.fs.Args())
	}
	if e.cfg.DatabaseURL == "" {
		return usageErr("migrate is for the PostgreSQL store: set DATABASE_URL (the embedded and Redis stores need no migration)")
	}
	have, err := pgq.Version(ctx, e.cfg.DatabaseURL)
	if err != nil {
		return err
	}
	steps, err := pgq.Migrate(ctx, e.cfg.DatabaseURL, *dry)
	var se *pgq.SchemaError
	if errors.As(err, &se) {
		return err
	}
	verb := "applied"
	if *dry {
		verb = "would apply"
	}
	for _, m := range steps {
		fmt.Fprintf(e.stdout, "%s %04d %s\n", verb, m.Version, m.Name)
	}
	if err != nil {
		return err
	}
	switch {
	case len(steps) == 0:
		fmt.Fprintf(e.stdout, "the schema is at version %d, this build's: nothing to do\n", have)
	case *dry:
		fmt.Fprintf(e.stdout, "the schema is at version %d; migrate would bring it to %d (dry run: nothing changed)\n",
			have, pgq.SchemaVersion)
	default:
		fmt.Fprintf(e.stdout, "the schema is at version %d, this build's\n", pgq.SchemaVersion)
	}
	return nil
}
