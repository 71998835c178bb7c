package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/dncsync/dncsync/internal/app"
	"github.com/dncsync/dncsync/internal/pgtest"
	"github.com/dncsync/dncsync/internal/queue/pgq"
)

// migrate --dry-run lists the steps and changes nothing; migrate applies them once; the store then
// opens. Before, opening it fails naming the command.
func TestMigrate(t *testing.T) {
	clearEnv(t)
	url := pgtest.Schema(t)
	cfg := &app.Config{DatabaseURL: url, DestinationList: "cxone"}
	if _, err := app.OpenStore(cfg); err == nil || !strings.Contains(err.Error(), "dncsync migrate") {
		t.Fatalf("open before migrate: %v, want an error naming dncsync migrate", err)
	}
	code, out, errs := run(t, "migrate", "--dry-run", "--database-url", url)
	if code != 0 || !strings.Contains(out, "would apply 0001 initial") || !strings.Contains(out, "nothing changed") {
		t.Fatalf("dry run: %d %q %q", code, out, errs)
	}
	if v, err := pgq.Version(context.Background(), url); err != nil || v != 0 {
		t.Fatalf("the dry run changed the schema: %d %v", v, err)
	}
	code, out, errs = run(t, "migrate", "--database-url", url)
	if code != 0 || !strings.Contains(out, "applied 0001 initial") {
		t.Fatalf("migrate: %d %q %q", code, out, errs)
	}
	code, out, _ = run(t, "migrate", "--database-url", url)
	if code != 0 || !strings.Contains(out, "nothing to do") {
		t.Fatalf("migrate again: %d %q", code, out)
	}
	s, err := app.OpenStore(cfg)
	if err != nil {
		t.Fatalf("open after migrate: %v", err)
	}
	s.Close()
	if code, _, errs := run(t, "migrate"); code != exitUsage || !strings.Contains(errs, "DATABASE_URL") {
		t.Fatalf("migrate without DATABASE_URL: %d %q", code, errs)
	}
}
