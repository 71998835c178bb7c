package cli

import (
	"context"
	"strings"

	"github.com/dncsync/dncsync/internal/doctor"
	"github.com/dncsync/dncsync/internal/queue/pgq"
)

// storeChecks checks the PostgreSQL store at url as serve will use it: that it answers, that its
// schema is this build's (else the command that migrates it), and that its settings keep what it
// acknowledges (synchronous_commit, fsync, full_page_writes: a WARN, as serve logs at start, since
// a managed database may choose them on purpose), and that autovacuum runs (a WARN: without it
// the queue's dead rows and stale statistics slow everything down). The embedded and Redis stores have no checks
// here: serve checks Redis's settings at start and refuses the unsafe ones.
func storeChecks(ctx context.Context, r *doctor.Report, url string) {
	var c pgq.Checkup
	r.Check("database", nil, func() string {
		var err error
		if c, err = pgq.Inspect(ctx, url); err != nil {
			return "cannot reach DATABASE_URL: " + strings.ReplaceAll(err.Error(), "\n", "; ")
		}
		r.Detail("server: PostgreSQL %s; schema version %d (this build runs on %d)", c.Server, c.Schema, pgq.SchemaVersion)
		return ""
	})
	r.Check("schema", []string{"database"}, func() string { return pgq.SchemaProblem(c.Schema) })
	r.Warn("durability", []string{"database"}, func() string { return strings.Join(c.Warning, "; ") })
	r.Warn("maintenance", []string{"database"}, func() string { return strings.Join(c.Maintenance, "; ") })
}
