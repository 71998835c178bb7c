package doctor

import (
	"bytes"
	"strings"
	"testing"
)

func TestSkipsNameTheCheckToFixFirst(t *testing.T) {
	var b bytes.Buffer
	r := New(&b)
	r.Check("settings", nil, func() string { return "" })
	r.Check("login", []string{"settings"}, func() string { return "wrong secret" })
	ran := false
	r.Check("group", []string{"login"}, func() string { ran = true; return "" })
	r.Check("canary lookup", []string{"group"}, func() string { ran = true; return "" })
	if ran {
		t.Fatal("a check whose prerequisite failed ran")
	}
	if ok := r.Summary(); ok {
		t.Fatal("a failed check must fail the report")
	}
	want := "\nsettings             ok\nlogin                FAIL: wrong secret\ngroup                SKIP: fix login first\n" +
		"canary lookup        SKIP: fix login first\n"
	if b.String() != want {
		t.Fatalf("summary:\n%q\nwant\n%q", b.String(), want)
	}
	if !r.Passed("settings") || r.Passed("login") || r.Passed("group") {
		t.Fatal("Passed")
	}
}

func TestAllPassing(t *testing.T) {
	var b bytes.Buffer
	r := New(&b)
	r.Check("login", nil, func() string { r.Detail("login at %s", "https://x"); return "" })
	if !r.Summary() || !strings.HasPrefix(b.String(), "  login at https://x\n\nlogin") {
		t.Fatalf("%q", b.String())
	}
}

// A warning is said in the summary but fails nothing; a check it needs that failed skips it.
func TestWarnFailsNothing(t *testing.T) {
	var b bytes.Buffer
	r := New(&b)
	r.Check("database", nil, func() string { return "" })
	r.Warn("durability", []string{"database"}, func() string { return "synchronous_commit=off" })
	r.Check("after", []string{"durability"}, func() string { return "" })
	if !r.Summary() {
		t.Fatalf("a warning failed the report:\n%s", b.String())
	}
	want := "\ndatabase             ok\ndurability           WARN: synchronous_commit=off\nafter                ok\n"
	if b.String() != want {
		t.Fatalf("summary:\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	r = New(&b)
	r.Check("database", nil, func() string { return "refused" })
	ran := false
	r.Warn("durability", []string{"database"}, func() string { ran = true; return "" })
	if r.Summary() || ran || !strings.Contains(b.String(), "durability           SKIP: fix database first") {
		t.Fatalf("ran %v:\n%s", ran, b.String())
	}
}
