package pgq

import (
	"strings"
	"testing"
)

// Every byte survives esc and unesc, and what esc writes holds no NUL (PostgreSQL text refuses it).
func TestEscapeRoundTrip(t *testing.T) {
	for _, s := range []string{"", "plain", "a\x00b", `\`, `\0`, "\\\x00\\0\x00", "end\\", "✓\n\x00\"x\""} {
		e := esc(s)
		if strings.IndexByte(e, 0) >= 0 {
			t.Errorf("esc(%q) = %q holds a NUL", s, e)
		}
		got := e
		unesc(&got)
		if got != s {
			t.Errorf("unesc(esc(%q)) = %q (stored %q)", s, got, e)
		}
	}
	if e := esc("a\x00\\"); e != `a\0\\` {
		t.Errorf("esc = %q, want %q (as docs/postgres.md says)", e, `a\0\\`)
	}
}
