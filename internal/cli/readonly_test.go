package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dncsync/dncsync/internal/app"
	"github.com/dncsync/dncsync/internal/queue/boltq"
)

// readCommands are the commands that only read the store, each with what its output must hold.
var readCommands = []struct {
	args []string
	want string
}{
	{[]string{"status", "--json", "--max-age", "0"}, `"depth"`},
	{[]string{"lookup", "+14155550101"}, `"+14155550101"`},
	{[]string{"dlq", "list"}, "NUMBER"},
	{[]string{"rejected", "list"}, "RAW"},
	{[]string{"audit", "export"}, "+14155550101"},
	{[]string{"scrub", "--out", "-", "--progress-every", "1h", "LIST"}, "+14155550104"},
}

// The reading commands open the embedded store read-only: they run while another reader holds it
// (another of them, here a long scrub's handle), and leave the file as it was, byte for byte.
func TestReadCommandsBesideAReader(t *testing.T) {
	dir := seedScrub(t)
	path := filepath.Join(dir, "data", app.StoreFile)
	list := filepath.Join(dir, "calls.txt")
	if err := os.WriteFile(list, []byte("+14155550101\n+14155550104\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	reader, err := boltq.Open(path, boltq.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	for _, c := range readCommands {
		args := append([]string(nil), c.args...)
		if args[len(args)-1] == "LIST" {
			args[len(args)-1] = list
		}
		code, out, errOut := run(t, args...)
		if code != 0 || !strings.Contains(out, c.want) {
			t.Errorf("%q beside a reader: exit %d, want 0 and %q in\n%s\n%s", args, code, c.want, out, errOut)
		}
	}
	reader.Close()
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Fatal("a reading command changed the store's file")
	}
}

// Beside a writer (serve holds the file for as long as it runs) a reading command fails after
// bbolt's lock timeout, naming the way through the service; audit export, which has none, says to
// stop serve.
func TestReadCommandsBesideServe(t *testing.T) {
	dir := seedScrub(t)
	serve, err := boltq.Open(filepath.Join(dir, "data", app.StoreFile), boltq.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer serve.Close()
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"status"}, exitNoStatus, "use --server"},
		{[]string{"lookup", "+14155550101"}, 2, "use --server"},
		{[]string{"scrub", "--progress-every", "1h", filepath.Join(dir, "none.csv")}, 1, "use --server"},
		{[]string{"audit", "export"}, 1, "stop serve"},
	} {
		code, _, errOut := run(t, c.args...)
		if code != c.code || !strings.Contains(errOut, "held by") || !strings.Contains(errOut, c.want) {
			t.Errorf("%q beside serve: exit %d, want %d with %q\n%s", c.args, code, c.code, c.want, errOut)
		}
	}
}

// A reading command on a data dir without a store says so, and creates nothing: a scrub against a
// mistyped DNCSYNC_DATA_DIR must not pass every number as eligible.
func TestReadCommandsWithoutAStore(t *testing.T) {
	clearEnv(t)
	data := filepath.Join(t.TempDir(), "data")
	t.Setenv("DNCSYNC_DATA_DIR", data)
	code, _, errOut := run(t, "status")
	if code != exitNoStatus || !strings.Contains(errOut, "no embedded store there yet") {
		t.Fatalf("status without a store: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := run(t, "scrub", "--out", "-", "-"); code != 1 || !strings.Contains(errOut, "no embedded store") {
		t.Fatalf("scrub without a store: exit %d\n%s", code, errOut)
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Fatalf("a reading command created the data dir: %v", err)
	}
}
