package cli

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/dncsync/dncsync/internal/pgtest"
	"github.com/dncsync/dncsync/internal/queue/pgq"
)

// The doctor on a PostgreSQL store, golden: a current schema (ok), synchronous_commit off (WARN,
// exit 0), autovacuum disabled on a table (WARN, exit 0), a schema behind this build's and none at all (FAIL naming dncsync migrate), and a
// database that does not answer (FAIL, and SKIP for what needs it). The destination's checks follow
// the store's either way.
func TestDoctorPostgres(t *testing.T) {
	hide := doctorTenant(t)
	url := pgtest.Schema(t)
	empty := pgtest.Schema(t)
	behind := pgtest.Schema(t)
	novac := pgtest.Schema(t)
	ctx := context.Background()
	for _, u := range []string{url, behind, novac} {
		if _, err := pgq.Migrate(ctx, u, false); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := pgx.Connect(ctx, behind)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `DELETE FROM dncsync_migrations WHERE version = $1`, pgq.SchemaVersion); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	if conn, err = pgx.Connect(ctx, novac); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `ALTER TABLE queue SET (autovacuum_enabled = false)`); err != nil {
		t.Fatal(err)
	}
	// autovacuum is the server's own setting (a test cannot turn it off for itself): its WARN is
	// asserted against what the server says, and taken out of the golden files.
	var autovacuum string
	if err := conn.QueryRow(ctx, `SELECT current_setting('autovacuum')`).Scan(&autovacuum); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	serverOff := regexp.MustCompile(`PostgreSQL runs with autovacuum=off: [^;\n]*(; )?`)
	bareWarn := regexp.MustCompile(`(?m)^(maintenance +)WARN: $`)
	if v, err := pgq.Version(ctx, behind); err != nil || v != pgq.SchemaVersion-1 {
		t.Fatalf("precondition: the schema behind is at %d (%v), want %d", v, err, pgq.SchemaVersion-1)
	}
	// The server's version differs from machine to machine, and the schema's from build to build.
	hideVersions := strings.NewReplacer(itoa(pgq.SchemaVersion-1), "HAVE", itoa(pgq.SchemaVersion), "BUILD")
	server := regexp.MustCompile(`PostgreSQL [0-9][^;]*;`)
	schema := regexp.MustCompile(`(schema version|at version) [0-9]+(.*?)(runs on|needs) [0-9]+`)
	for _, tc := range []struct {
		name, url string
		code      int
		summary   string // the store's lines of the summary
	}{
		{"current", url, 0, "database             ok\nschema               ok\ndurability           ok\n"},
		{"sync-off", url + "&synchronous_commit=off", 0, "durability           WARN: PostgreSQL runs with synchronous_commit=off"},
		{"vacuum-off", novac, 0, "maintenance          WARN: "},
		{"behind", behind, 1, "schema               FAIL: the database schema is at version " + itoa(pgq.SchemaVersion-1) +
			", this build needs " + itoa(pgq.SchemaVersion) + ": run `dncsync migrate`"},
		{"empty", empty, 1, "schema               FAIL: the database has no dncsync schema: run `dncsync migrate`"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, "doctor", "--database-url", tc.url)
			if code != tc.code || errOut != "" {
				t.Fatalf("exit %d, want %d; stderr %q\n%s", code, tc.code, errOut, out)
			}
			if !strings.Contains(out, tc.summary) || !strings.Contains(out, "\nsettings             ok\n") {
				t.Fatalf("want %q in the summary, and the destination's checks:\n%s", tc.summary, out)
			}
			if tc.code == 0 && strings.Contains(out, "autovacuum=off") != (autovacuum == "off") {
				t.Fatalf("the server runs with autovacuum=%s; the doctor says:\n%s", autovacuum, out)
			}
			if tc.name == "vacuum-off" && !strings.Contains(out, "autovacuum is disabled on table queue") {
				t.Fatalf("no WARN for the queue's autovacuum_enabled=false:\n%s", out)
			}
			out = bareWarn.ReplaceAllString(serverOff.ReplaceAllString(out, ""), "${1}ok")
			golden(t, "doctor-pg-"+tc.name+".golden", schema.ReplaceAllStringFunc(
				server.ReplaceAllString(hide.Replace(out), "PostgreSQL VERSION;"), hideVersions.Replace))
		})
	}
	// A database that does not answer: FAIL, and the checks that need it skipped.
	code, out, _ := run(t, "doctor", "--database-url", "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=5")
	if code != 1 || !strings.Contains(out, "database             FAIL: cannot reach DATABASE_URL") ||
		!strings.Contains(out, "schema               SKIP: fix database first") ||
		!strings.Contains(out, "durability           SKIP: fix database first") {
		t.Fatalf("an unreachable database: exit %d\n%s", code, out)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
