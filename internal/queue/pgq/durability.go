package pgq

import (
	"context"
	"fmt"
	"strings"
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

// MaintenanceWarnings names what leaves the store's tables unmaintained: autovacuum off on the
// server, or disabled on one of the schema's tables. Neither loses data, but the queue and the
// event ids churn (every entry is deleted once pushed), so without vacuum their dead rows pile up,
// and without analyze the planner's statistics stay those of an empty table: imports and claims
// slow down by multiples (docs/postgres.md, "Writes"). A setting that cannot be read warns of
// nothing.
func (s *Store) MaintenanceWarnings(ctx context.Context) []string {
	var out []string
	var on string
	if err := s.pool.QueryRow(ctx, `SELECT current_setting('autovacuum')`).Scan(&on); err == nil && on == "off" {
		out = append(out, "PostgreSQL runs with autovacuum=off: dead rows of the queue and the event ids are never "+
			"cleaned up and the planner's statistics go stale (run VACUUM ANALYZE by schedule, or turn it on)")
	}
	var off []string
	err := s.pool.QueryRow(ctx, `SELECT coalesce(array_agg(c.relname::text ORDER BY c.relname), '{}') FROM pg_class c
		WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
		AND 'autovacuum_enabled=false' = ANY(c.reloptions)`).Scan(&off)
	if err == nil && len(off) > 0 {
		out = append(out, fmt.Sprintf("autovacuum is disabled on table %s (ALTER TABLE ... RESET (autovacuum_enabled))",
			strings.Join(off, ", ")))
	}
	return out
}
