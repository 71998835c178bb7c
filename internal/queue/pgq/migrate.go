package pgq

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The schema is versioned SQL embedded in the binary, river's approach: migrations/NNNN_name.sql,
// applied in order, each in one transaction with its row in dncsync_migrations. No migration
// library: the schema is a few files and a table, a library would be one more dependency to keep
// for that, and the binary that reads the schema is the one that owns and writes it, so an
// operator's `dncsync migrate` is always the migration the running code expects.

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migration is one step of the schema.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

var migrations = mustLoad()

// SchemaVersion is the schema this build reads and writes: its newest migration.
var SchemaVersion = migrations[len(migrations)-1].Version

func mustLoad() []Migration {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		panic(err)
	}
	var out []Migration
	for _, e := range entries {
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			panic("pgq: migration file name " + e.Name() + " is not NNNN_name.sql")
		}
		b, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			panic(err)
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			panic(fmt.Sprintf("pgq: migrations must be numbered 1, 2, ...; found %d at %d", m.Version, i+1))
		}
	}
	return out
}

// Migrations lists every migration of this build, oldest first.
func Migrations() []Migration { return append([]Migration(nil), migrations...) }

// SchemaError is a database whose schema this build does not run on.
type SchemaError struct {
	Have, Want int
}

// MigrateCommand is what an operator runs to bring the schema to this build's.
const MigrateCommand = "dncsync migrate"

func (e *SchemaError) Error() string {
	if e.Have > e.Want {
		return fmt.Sprintf("the database schema is at version %d, newer than this build knows (%d): run a newer dncsync", e.Have, e.Want)
	}
	return fmt.Sprintf("the database schema is at version %d, this build needs %d: run `%s` (--dry-run lists the steps)",
		e.Have, e.Want, MigrateCommand)
}

// ErrSchema is matched by every SchemaError (errors.Is).
var ErrSchema = errors.New("unknown database schema")

func (e *SchemaError) Is(target error) bool { return target == ErrSchema }

const migrationsTable = `CREATE TABLE IF NOT EXISTS dncsync_migrations (
	version    integer PRIMARY KEY,
	name       text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
)`

// migrationLock is the advisory lock key that serializes migrations of one database.
const migrationLock = 0x646e6373796e63 // "dncsync"

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// schemaVersion reads the version applied to the database of the current search_path; 0 when no
// migration ran.
func schemaVersion(ctx context.Context, q querier) (int, error) {
	var exists bool
	if err := q.QueryRow(ctx, `SELECT to_regclass('dncsync_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, err
	}
	if !exists {
		return 0, nil
	}
	var v int
	err := q.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM dncsync_migrations`).Scan(&v)
	return v, err
}

// Version reads the schema version of the database at url.
func Version(ctx context.Context, url string) (int, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return 0, fmt.Errorf("pgq: connect: %w", err)
	}
	defer conn.Close(ctx)
	v, err := schemaVersion(ctx, conn)
	if err != nil {
		return 0, fmt.Errorf("pgq: schema version: %w", err)
	}
	return v, nil
}

// Migrate brings the database at url to SchemaVersion and returns the migrations it applied (with
// dryRun, those it would apply, changing nothing). Concurrent runs wait for each other.
func Migrate(ctx context.Context, url string, dryRun bool) ([]Migration, error) {
	return migrate(ctx, url, SchemaVersion, dryRun)
}

// migrate brings the schema to version target (an older schema, for the tests of a migration).
func migrate(ctx context.Context, url string, target int, dryRun bool) ([]Migration, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("pgq: connect: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return nil, fmt.Errorf("pgq: migrate: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock)
	have, err := schemaVersion(ctx, conn)
	if err != nil {
		return nil, fmt.Errorf("pgq: migrate: %w", err)
	}
	if have > SchemaVersion {
		return nil, &SchemaError{Have: have, Want: SchemaVersion}
	}
	pending := migrations[have:max(have, target)]
	if dryRun {
		return pending, nil
	}
	if _, err := conn.Exec(ctx, migrationsTable); err != nil {
		return nil, fmt.Errorf("pgq: migrate: %w", err)
	}
	var done []Migration
	for _, m := range pending {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO dncsync_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name)
			return err
		})
		if err != nil {
			return done, fmt.Errorf("pgq: migration %d (%s): %w", m.Version, m.Name, err)
		}
		done = append(done, m)
	}
	return done, nil
}

// checkSchema refuses a database whose schema is not this build's.
func checkSchema(ctx context.Context, pool *pgxpool.Pool) error {
	have, err := schemaVersion(ctx, pool)
	if err != nil {
		return err
	}
	if have != SchemaVersion {
		return &SchemaError{Have: have, Want: SchemaVersion}
	}
	return nil
}
