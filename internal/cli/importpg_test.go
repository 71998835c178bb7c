package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/dncsync/dncsync/internal/pgtest"
)

// An import into PostgreSQL (its COPY path) reports what an import into the embedded store
// reports, row for row, and a rerun of the same file records nothing twice.
func TestImportPostgresLikeEmbedded(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "numbers.csv")
	var b strings.Builder
	b.WriteString("phone,occurredAt,reason\n")
	for i := range 300 {
		switch {
		case i%50 == 7:
			fmt.Fprintf(&b, "%d,2024-01-02,bad row\n", i) // not a number
		case i%40 == 3:
			b.WriteString("(415) 555-0100,2024-03-04T05:06:07Z,repeat\n") // one number many times
		default:
			fmt.Fprintf(&b, "(415) 555-%04d,2024-03-04T05:06:07Z,web form\n", 1000+i)
		}
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	url := pgtest.Schema(t)
	if code, out, errs := run(t, "migrate", "--database-url", url); code != 0 {
		t.Fatalf("migrate: %d %s %s", code, out, errs)
	}
	took := regexp.MustCompile(` in [^ ]+ \(\d+ rows/s\)`)
	imp := func(report string, store ...string) (string, string) {
		t.Helper()
		args := append([]string{"import", "--report", report, "--batch", "40"}, store...)
		code, out, errs := run(t, append(args, file)...)
		if code != 0 {
			t.Fatalf("import %v: exit %d\n%s\n%s", store, code, out, errs)
		}
		rep, err := os.ReadFile(report)
		if err != nil {
			t.Fatal(err)
		}
		// The report's rows come in the order the batches finished: compare them as a set.
		lines := strings.Split(string(rep), "\n")
		slices.Sort(lines)
		return took.ReplaceAllString(strings.ReplaceAll(out, report, "REPORT"), ""), strings.Join(lines, "\n")
	}
	wantOut, wantRep := imp(filepath.Join(dir, "embedded.csv"), "--data-dir", filepath.Join(dir, "data"))
	if !strings.Contains(wantOut, "accepted") || !strings.Contains(wantRep, "bad row") {
		t.Fatalf("precondition: the embedded import: %q\n%s", wantOut, wantRep)
	}
	gotOut, gotRep := imp(filepath.Join(dir, "pg.csv"), "--database-url", url)
	if gotOut != wantOut || gotRep != wantRep {
		t.Errorf("PostgreSQL import:\n%s\n%s\nembedded:\n%s\n%s", gotOut, gotRep, wantOut, wantRep)
	}
	again, _ := imp(filepath.Join(dir, "pg2.csv"), "--database-url", url)
	if !strings.Contains(again, " 0 accepted") {
		t.Errorf("rerun: %q, want nothing accepted again", again)
	}
	eAgain, _ := imp(filepath.Join(dir, "embedded2.csv"), "--data-dir", filepath.Join(dir, "data"))
	if again != eAgain {
		t.Errorf("rerun: PostgreSQL %q, embedded %q", again, eAgain)
	}
}
