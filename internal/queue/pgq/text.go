package pgq

import "strings"

// PostgreSQL text cannot hold a NUL byte, and a sender's free text may carry one: refusing it
// would fail an opt-out. Every free-text column is therefore written escaped, \ as \\ and NUL as
// \0, and read back unescaped, so every byte survives (docs/postgres.md tells auditors).

var escaper = strings.NewReplacer(`\`, `\\`, "\x00", `\0`)

// esc is s as stored in a free-text column.
func esc(s string) string {
	if strings.IndexByte(s, '\\') < 0 && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return escaper.Replace(s)
}

// unesc reverses esc in place on each of ps.
func unesc(ps ...*string) {
	for _, p := range ps {
		s := *p
		i := strings.IndexByte(s, '\\')
		if i < 0 {
			continue
		}
		var b strings.Builder
		b.Grow(len(s))
		b.WriteString(s[:i])
		for ; i < len(s); i++ {
			c := s[i]
			if c == '\\' && i+1 < len(s) {
				i++
				if s[i] == '0' {
					c = 0
				} else {
					c = s[i]
				}
			}
			b.WriteByte(c)
		}
		*p = b.String()
	}
}
