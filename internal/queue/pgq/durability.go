package pgq

import (
	"context"
	"fmt"
)

// DurabilityWarnings names the server's settings under which a commit, and so an acknowledged
// opt-out, could be lost in a crash: synchronous_commit off (the last moments' commits), fsync or
// full_page_writes off (the whole database). A setting that cannot be read warns of nothing.
func (s *Store) DurabilityWarnings(ctx context.Context) []string {
	var out []string
	for _, c := range []struct{ name, bad, why string }{
		{"synchronous_commit", "off", "opt-outs acknowledged in the last moments before a crash can be lost"},
		{"fsync", "off", "a crash can lose or corrupt what was acknowledged"},
		{"full_page_writes", "off", "a crash can corrupt what was acknowledged"},
	} {
		var v string
		if err := s.pool.QueryRow(ctx, "SELECT current_setting($1)", c.name).Scan(&v); err != nil {
			continue
		}
		if v == c.bad {
			out = append(out, fmt.Sprintf("PostgreSQL runs with %s=%s: %s", c.name, v, c.why))
		}
	}
	return out
}
