package printable

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"+1 (415) 555-2671":             "+1 (415) 555-2671",
		"Zoë 日本 ☎":                      "Zoë 日本 ☎",
		`back\slash`:                    `back\slash`,
		"\x1b[2J\x1b]0;owned\x07":       `\x1b[2J\x1b]0;owned\x07`,
		"a\tb\nc\rd":                    `a\tb\nc\rd`,
		"del\x7f":                       `del\x7f`,
		"csi\u009b31m":                  `csi\u009b31m`,
		"\u202e1762-555-514":            `\u202e1762-555-514`,
		"iso\u2066x\u2069 \u200e\u061c": `iso\u2066x\u2069 \u200e\u061c`,
		"bad\xff\xfeutf8":               `bad\xff\xfeutf8`,
		"line\u2028sep":                 `line\u2028sep`,
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCut(t *testing.T) {
	if got := Cut("\x1b[31mred", 6); got != `\x1b[…` || utf8.RuneCountInString(got) != 6 {
		t.Fatalf("Cut = %q", got)
	}
	if got := Cut("ééééé", 3); got != "éé…" || !utf8.ValidString(got) {
		t.Fatalf("Cut of two-byte characters = %q", got)
	}
	if got := Cut("short", 10); got != "short" {
		t.Fatalf("Cut of a short string = %q", got)
	}
}

func TestJSONSameValueNothingHidden(t *testing.T) {
	v := map[string]string{"raw": "\x1b[31m\u009b\x7f\u202eok\u2028 é"}
	var buf bytes.Buffer
	if err := json.NewEncoder(JSONWriter(&buf)).Encode(v); err != nil {
		t.Fatal(err)
	}
	for _, r := range buf.String() {
		if hiddenInJSON(r) || (r < 0x20 && r != '\n') {
			t.Fatalf("JSON output carries %U: %q", r, buf.String())
		}
	}
	var back map[string]string
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil || back["raw"] != v["raw"] {
		t.Fatalf("JSON output %q decodes to %q (%v), want the same value", buf.String(), back["raw"], err)
	}
	if !strings.Contains(buf.String(), `\u009b`) || !strings.Contains(buf.String(), `\u202e`) {
		t.Fatalf("JSON output %q", buf.String())
	}
}

func FuzzEscape(f *testing.F) {
	f.Add("\x1b[2J\u202e\xff")
	f.Fuzz(func(t *testing.T, s string) {
		e := Escape(s)
		if !utf8.ValidString(e) {
			t.Fatalf("Escape(%q) = %q: not UTF-8", s, e)
		}
		for _, r := range e {
			if hidden(r) {
				t.Fatalf("Escape(%q) = %q keeps %U", s, e, r)
			}
		}
		b, _ := json.Marshal(s)
		var want, back string
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(JSON(b), &back); err != nil || back != want {
			t.Fatalf("JSON of %q: %q, %v; want %q", s, back, err, want)
		}
	})
}
