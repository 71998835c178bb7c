package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dncsync/dncsync/internal/app"
	"github.com/dncsync/dncsync/internal/cxone"
	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/genesys"
	"github.com/dncsync/dncsync/internal/webhook"
)

// TestMain pins the registry to the three destinations the golden files were written with: a new
// destination changes the configuration reference, not these tests.
func TestMain(m *testing.M) {
	registry = app.Destinations
	app.Destinations = []destination.Spec{cxone.Spec, genesys.Spec, webhook.Spec}
	os.Exit(m.Run())
}

// registry is the binary's registry, for the configuration reference.
var registry []destination.Spec

// update rewrites the golden files from what the binary prints now: go test ./internal/cli -update.
var update = flag.Bool("update", false, "rewrite testdata/*.golden and docs/configuration.md")

// clearEnv leaves the test without any setting the developer may have exported.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		for _, p := range []string{"CXONE_", "DNCSYNC_", "GENESYS_", "REDIS_URL", "DATABASE_URL", "TWILIO_", "PORT"} {
			if strings.HasPrefix(k, p) {
				t.Setenv(k, "") // restored after the test
				os.Unsetenv(k)
			}
		}
	}
}

// run is Main with args; it returns the exit status, stdout and stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./internal/cli -update writes it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from what the binary prints (go test ./internal/cli -update rewrites it):\n%s", path, lineDiff(string(want), got))
	}
}

// lineDiff shows the first lines where want and got part.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + strconv.Itoa(i+1) + ":\n  want " + wl + "\n  got  " + gl
		}
	}
	return "(same lines)"
}

// The program's help names every destination and says where to start; without a command it is
// the usage on stderr and exit 2, as for an unknown command.
func TestUsage(t *testing.T) {
	clearEnv(t)
	code, out, _ := run(t, "--help")
	if code != 0 {
		t.Fatalf("--help: exit %d", code)
	}
	golden(t, "help.golden", out)
	for _, want := range []string{"dncsync demo", "NICE CXone", "Genesys Cloud", "webhook"} {
		if !strings.Contains(out, want) {
			t.Errorf("--help does not name %q", want)
		}
	}
	if code, bare, errOut := run(t); code != 2 || bare != "" || errOut != out {
		t.Fatalf("bare dncsync: exit %d, stdout %q; want the usage on stderr and exit 2", code, bare)
	}
	if code, _, errOut := run(t, "nope"); code != 2 || !strings.Contains(errOut, `unknown command "nope"`) {
		t.Fatalf("unknown command: exit %d\n%s", code, errOut)
	}
}

// A command's help shows its own flags first, then the settings it uses by component, required
// ones marked.
func TestCommandHelp(t *testing.T) {
	clearEnv(t)
	for _, cmd := range []string{"serve", "import", "doctor", "status", "scrub"} {
		code, out, _ := run(t, cmd, "-h")
		if code != 0 {
			t.Fatalf("%s -h: exit %d", cmd, code)
		}
		golden(t, cmd+"-help.golden", out)
	}
	_, serve, _ := run(t, "serve", "-h")
	for _, want := range []string{"Service:", "Intake: webhooks and imports:", "Store:", "Pusher:", "Destination cxone (NICE CXone):",
		"Destination genesys (Genesys Cloud):", "$CXONE_API  (REQUIRED with cxone in DNCSYNC_DESTINATIONS)",
		"$DNCSYNC_WEBHOOK_AUTH  (REQUIRED to serve)"} {
		if !strings.Contains(serve, want) {
			t.Errorf("serve -h lacks %q", want)
		}
	}
	_, imp, _ := run(t, "import", "-h")
	if own, setting := strings.Index(imp, "--report"), strings.Index(imp, "--redis-url"); own < 0 || setting < own ||
		strings.Index(imp, "--max-rejected") > setting {
		t.Errorf("import -h: its own flags and settings must come first:\n%s", imp)
	}
	if strings.Contains(imp, "--cxone-api") {
		t.Error("import -h lists the destinations' settings, which it does not use")
	}
	if code, _, errOut := run(t, "serve", "--no-such-flag"); code != 2 || !strings.Contains(errOut, "dncsync serve -h") {
		t.Fatalf("a flag that is not one: exit %d\n%s", code, errOut)
	}
}

// docs/configuration.md is what the binary declares: every destination of the registry.
func TestConfigurationDoc(t *testing.T) {
	pinned := app.Destinations
	app.Destinations = registry
	defer func() { app.Destinations = pinned }()
	var b bytes.Buffer
	if err := configDoc(&b); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "docs", "configuration.md")
	if *update {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Fatalf("docs/configuration.md differs from the settings the binary declares: run make docs\n%s", lineDiff(string(want), b.String()))
	}
	for _, env := range []string{"CXONE_API", "GENESYS_CLIENT_ID", "DNCSYNC_WEBHOOK_DEST_URL", "DNCSYNC_IMPORT_MAX_ROW", "REDIS_URL"} {
		if !strings.Contains(b.String(), "`"+env+"`") {
			t.Errorf("the reference lacks %s", env)
		}
	}
}
