// Package printable shows text that senders wrote to people without letting it act on their
// screen: control characters (which drive a terminal: colours, cursor moves, a retitled window, a
// cleared screen) and the invisible marks that reorder or hide text (bidirectional overrides) are
// written as escapes. Every human-readable output of sender data goes through it: the CLI's tables,
// its JSON, the CSV export and the status page.
package printable

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// hidden reports whether r is escaped: a C0 or C1 control or DEL, a bidirectional mark, override
// or isolate, or a line or paragraph separator.
func hidden(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069,
		r == 0x2028, r == 0x2029:
		return true
	}
	return false
}

// Escape returns s with every hidden character written as Go writes it in a string literal (\t,
// \n, \r, \x1b, \u009b, \u202e) and every byte that is not UTF-8 as \xNN; the rest is unchanged. A
// backslash is not doubled, to keep ordinary text as it is: where the exact bytes matter, use the
// JSON forms (--json, the jsonl export), which are exact and escaped (JSON).
func Escape(s string) string {
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if hidden(r) || (r == utf8.RuneError && n == 1) {
			break
		}
		i += n
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x80 && hidden(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case hidden(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// Cut is Escape(s) cut to at most n characters, the last one an ellipsis when it was cut: one cell
// of a table.
func Cut(s string, n int) string {
	s = Escape(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// JSON returns a JSON text with the hidden characters that encoding/json leaves as they are (DEL,
// C1 controls, the bidirectional marks) written as \u escapes: the same JSON value, safe to print.
// They can only occur inside strings, where \u escapes mean them. The C0 controls are left alone:
// encoding/json escapes them in strings, so any left are the text's whitespace (newlines, indent).
func JSON(b []byte) []byte {
	i := 0
	for i < len(b) {
		r, n := utf8.DecodeRune(b[i:])
		if hiddenInJSON(r) {
			break
		}
		i += n
	}
	if i == len(b) {
		return b
	}
	out := make([]byte, 0, len(b)+12)
	out = append(out, b[:i]...)
	for i < len(b) {
		r, n := utf8.DecodeRune(b[i:])
		if hiddenInJSON(r) {
			out = fmt.Appendf(out, `\u%04x`, r)
		} else {
			out = append(out, b[i:i+n]...)
		}
		i += n
	}
	return out
}

func hiddenInJSON(r rune) bool { return r >= 0x20 && hidden(r) }

// JSONWriter writes through JSON to w. Each Write must hold whole JSON values, as a json.Encoder's
// do (Encode writes one value at once), so that no character is split between two writes.
func JSONWriter(w io.Writer) io.Writer { return jsonWriter{w} }

type jsonWriter struct{ w io.Writer }

func (j jsonWriter) Write(p []byte) (int, error) {
	if _, err := j.w.Write(JSON(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}
