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

func TestDefaultIsTheDeclarationsAndIsSetSaysWhoGaveIt(t *testing.T) {
	t.Setenv("T_PORT", "4000")
	s := New("service")
	var port, workers int
	var fill float64
	var share Share
	p := s.Int(&port, "port", "T_PORT", 3000, "listen port")
	w := s.Int(&workers, "workers", "T_WORKERS", 4, "workers")
	s.Float(&fill, "fill", "T_FILL", 0.9, "fill")
	s.Share(&share, "share", "T_SHARE", 0.1, "share")
	if p.Default != "3000" || port != 4000 || !p.IsSet() || w.IsSet() {
		t.Fatalf("default %q, value %d, set %v/%v: the default is the declaration's, the value the environment's",
			p.Default, port, p.IsSet(), w.IsSet())
	}
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	s.Register(fs)
	if err := fs.Parse([]string{"--workers", "8", "--share", "25%", "--fill", "0.5"}); err != nil {
		t.Fatal(err)
	}
	if !w.IsSet() || workers != 8 || share != 0.25 || fill != 0.5 {
		t.Fatalf("flags: set %v, workers %d, share %v, fill %v", w.IsSet(), workers, share, fill)
	}
	var md bytes.Buffer
	s.Markdown(&md)
	if !strings.Contains(md.String(), "| `T_PORT` | `--port` | `3000` |") || !strings.Contains(md.String(), "`10%`") {
		t.Fatalf("the reference must show declared defaults:\n%s", md.String())
	}
}

func TestSecretsWithSpacesAndBadSharesNamed(t *testing.T) {
	t.Setenv("T_TOKEN", "hunter2-hunter2\n")
	t.Setenv("T_SHARE", "120%")
	s := New("")
	var tok string
	var share Share
	s.Secret(&tok, "token", "T_TOKEN", "a token")
	s.Share(&share, "share", "T_SHARE", 0.1, "share")
	err := s.Err()
	if err == nil || !strings.Contains(err.Error(), "T_TOKEN has spaces or line breaks around it") ||
		!strings.Contains(err.Error(), `T_SHARE="120" is not a share`) || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("err = %v", err)
	}
}

func TestRegisterOnlyTheNamedGroups(t *testing.T) {
	s := New("store")
	var dir, region string
	s.String(&dir, "data-dir", "T_DATA_DIR", "./data", "embedded store directory")
	s.Group("destination cxone").String(&region, "region", "T_REGION", "na1", "login region")
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	s.Register(fs, "store")
	if fs.Lookup("data-dir") == nil || fs.Lookup("region") != nil {
		t.Fatal("Register must define the flags of the named groups only")
	}
}
