package phone

import (
	"strings"
	"unicode"
)

// maxStars caps the masked middle so that oversized raw input (which Parse
// rejects, and callers may still log) cannot flood a log line. E.164
// numbers never need more than 9 stars.
const maxStars = 12

// Mask hides most of a phone number for logs: "+14155552671" becomes
// "+1415*****71". It accepts any string, including raw rejected input.
//
// Letters count as digits (they are digits in "1-800-FLOWERS"); other
// characters are dropped, except a leading '+'. At most the first 4 and
// last 2 are shown and at least 5 are hidden (all, if there are fewer);
// inputs with fewer than 10 show no tail, so they reveal at most 4. The
// stars show the hidden count, up to 12.
func Mask(s string) string {
	s = strings.TrimSpace(s)
	plus := strings.HasPrefix(s, "+") || strings.HasPrefix(s, "\uFF0B")

	var sig []rune
	for _, r := range s {
		if unicode.IsDigit(r) || unicode.IsLetter(r) {
			sig = append(sig, r)
		}
	}
	n := len(sig)
	tail := 0
	if n >= 10 {
		tail = 2
	}
	head := min(4, max(0, n-tail-5))
	stars := min(n-head-tail, maxStars)

	var b strings.Builder
	b.Grow(1 + 4*(head+tail) + stars)
	if plus {
		b.WriteByte('+')
	}
	b.WriteString(string(sig[:head]))
	b.WriteString(strings.Repeat("*", stars))
	b.WriteString(string(sig[n-tail:]))
	return b.String()
}
