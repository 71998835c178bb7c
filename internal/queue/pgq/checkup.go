package pgq

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Checkup is what `dncsync doctor` reads of a database without opening it as a store, so that a
// schema that is behind (which Open refuses) is still diagnosed.
type Checkup struct {
	Server  string   // the server's version, as it reports it
	Schema  int      // the schema version applied; 0: no dncsync schema
	Warning []string // settings that could lose acknowledged opt-outs (DurabilityWarnings)
	// Maintenance names what leaves the tables unvacuumed (MaintenanceWarnings).
	Maintenance []string
}

// Inspect connects to the database at url and reads its server version, its schema version and
// the settings that could lose acknowledged opt-outs (DurabilityWarnings) or leave its tables
// unmaintained (MaintenanceWarnings). An error is a database
// that cannot be reached or read.
func Inspect(ctx context.Context, url string) (Checkup, error) {
	var c Checkup
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return c, fmt.Errorf("pgq: DATABASE_URL: %w", err)
	}
	defer pool.Close()
	if err := pool.QueryRow(ctx, `SELECT current_setting('server_version')`).Scan(&c.Server); err != nil {
		return c, fmt.Errorf("pgq: connect: %w", err)
	}
	if c.Schema, err = schemaVersion(ctx, pool); err != nil {
		return c, fmt.Errorf("pgq: schema version: %w", err)
	}
	s := &Store{pool: pool}
	c.Warning = s.DurabilityWarnings(ctx)
	c.Maintenance = s.MaintenanceWarnings(ctx)
	return c, nil
}

// SchemaProblem says what is wrong with schema version have for this build, naming the command
// that fixes it; "" when it is this build's.
func SchemaProblem(have int) string {
	switch {
	case have == SchemaVersion:
		return ""
	case have == 0:
		return fmt.Sprintf("the database has no dncsync schema: run `%s` (--dry-run lists the steps)", MigrateCommand)
	}
	return (&SchemaError{Have: have, Want: SchemaVersion}).Error()
}
