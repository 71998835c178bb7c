package setting

import (
	"bytes"
	"flag"
	"strings"
	"testing"
	"time"
)

func TestEnvIsTheDefaultAndTheFlagWins(t *testing.T) {
	t.Setenv("T_PORT", "4000")
	t.Setenv("T_LINGER", "soon")
	t.Setenv("T_SECRET", "hunter2-hunter2-hunter2")
	s := New("intake")
	var port int
	var linger time.Duration
	var secret, region string
	s.Int(&port, "port", "T_PORT", 3000, "listen port")
	s.Duration(&linger, "linger", "T_LINGER", 250*time.Millisecond, "wait")
	s.Group("destination cxone").Secret(&secret, "secret", "T_SECRET", "the secret").Require("with T_API=admin")
	s.Group("destination cxone").String(&region, "region", "T_REGION", "na1", "login region")
	if port != 4000 || secret != "hunter2-hunter2-hunter2" || region != "na1" {
		t.Fatalf("env values not taken: %d %q %q", port, secret, region)
	}
	if err := s.Err(); err == nil || !strings.Contains(err.Error(), `T_LINGER="soon" is not a duration`) {
		t.Fatalf("a bad environment value must name its variable: %v", err)
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	s.Register(fs)
	if err := fs.Parse([]string{"--port", "5000", "--region", "eu1"}); err != nil {
		t.Fatal(err)
	}
	if port != 5000 || region != "eu1" {
		t.Fatalf("flags did not win: %d %q", port, region)
	}
}

func TestHelpGroupsOwnFlagsFirstAndHidesSecrets(t *testing.T) {
	t.Setenv("T_SECRET", "hunter2-hunter2-hunter2")
	s := New("store")
	var dir, secret string
	s.String(&dir, "data-dir", "T_DATA_DIR", "./data", "embedded store directory")
	s.Group("destination cxone").Secret(&secret, "secret", "T_SECRET", "the secret").Require("with T_API=admin")
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.String("report", "", "file for rows not imported")
	s.Register(fs)
	var b bytes.Buffer
	s.PrintHelp(&b, fs)
	out := b.String()
	if strings.Contains(out, "hunter2") {
		t.Fatalf("help printed a secret:\n%s", out)
	}
	own, store, cx := strings.Index(out, "--report"), strings.Index(out, "Store:"), strings.Index(out, "Destination cxone:")
	if own < 0 || store < own || cx < store {
		t.Fatalf("want the command's flags, then the groups in order:\n%s", out)
	}
	if !strings.Contains(out, "$T_SECRET  (REQUIRED with T_API=admin)") || !strings.Contains(out, "(default ./data)") {
		t.Fatalf("required and default not marked:\n%s", out)
	}
	var md bytes.Buffer
	s.Markdown(&md)
	if !strings.Contains(md.String(), "| `T_SECRET` | `--secret` |  | with T_API=admin | the secret |") {
		t.Fatalf("markdown:\n%s", md.String())
	}
}

func TestDeclaredTwicePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("a setting declared twice must panic: two defaults would drift")
		}
	}()
	s := New("")
	var a, b string
	s.String(&a, "x", "T_X", "", "")
	s.String(&b, "y", "T_X", "", "")
}
