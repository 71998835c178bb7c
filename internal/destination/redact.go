package destination

import "strings"

// RedactNumbers hides anything that looks like a phone number, including formatted ones
// ("(415) 555-2671"), not only long runs of digits: vendors' error texts and transport errors
// quote numbers, and errors get logged.
func RedactNumbers(s string) string {
	b := []byte(s)
	for i := 0; i < len(b); {
		if !isDigit(b[i]) {
			i++
			continue
		}
		last, n := i, 0
		for j := i; j < len(b); {
			if isDigit(b[j]) {
				n, last = n+1, j
				j++
				continue
			}
			k := j
			for k < len(b) && k-j < 2 && isPhoneSep(b[k]) {
				k++
			}
			if k == j || k == len(b) || !isDigit(b[k]) {
				break
			}
			j = k
		}
		if n >= 7 {
			for k := i; k <= last; k++ {
				if isDigit(b[k]) {
					b[k] = '#'
				}
			}
		}
		i = last + 1
	}
	return string(b)
}

// ShortText trims a vendor's free text for an error message: whitespace folded, numbers redacted
// (before cutting, which could split a number), at most 120 bytes.
func ShortText(s string) string {
	s = RedactNumbers(strings.Join(strings.Fields(s), " "))
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return s
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isPhoneSep(c byte) bool {
	return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/' || c == '+'
}
