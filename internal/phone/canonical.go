package phone

// A dialer's pre-call batch and a scrub's call list carry numbers already in E.164, each seen once:
// for them the cache is all cost (a key built, a lock, a map that a new generation rebuilds every
// 2,048 numbers) and never an answer. parseCanonical reads such input before the cache: '+' and 7
// to 15 ASCII digits, nothing else (no space, no separator), through parseFast, which answers only
// for a number that the metadata holds valid and whose E.164 form is exactly those digits. Anything
// it does not answer takes the full path (cache, then parse) as before, so the answer to every input
// is the full parse's: TestCanonicalSameAsLibrary and FuzzParse hold the two equal.

// canonical reports whether s is '+' then minDigits to maxDigits ASCII digits, the first not 0.
func canonical(s string) bool {
	if len(s) < 1+minDigits || len(s) > 1+maxDigits || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseCanonical is parseFast for canonical input, a panic in the library read as "not answered"
// (the full path then answers, under its own recover, as it always has).
func parseCanonical(s string) (n Number, ok bool) {
	if !canonical(s) {
		return Number{}, false
	}
	defer func() {
		if r := recover(); r != nil {
			n, ok = Number{}, false
		}
	}()
	return parseFast(s)
}
