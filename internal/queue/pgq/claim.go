package pgq

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dncsync/dncsync/internal/queue"
)

// Claim leases up to limit ready entries due at or before now, earliest due first, until
// now+lease. Rows another transaction holds (an enqueue merging into them, another replica's
// claim) are skipped, not waited for: FOR UPDATE SKIP LOCKED.
func (s *Store) Claim(ctx context.Context, limit int, lease time.Duration) ([]queue.Item, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("pgq: claim: %w", err)
	}
	if limit <= 0 {
		return nil, nil
	}
	now := ms(s.now())
	// MATERIALIZED: the chosen rows are chosen once; a subquery on the inner side of a join may be
	// scanned again and hand out more than the limit.
	rows, err := s.pool.Query(ctx, `WITH c AS MATERIALIZED (SELECT number, at FROM queue
			WHERE destination = $1 AND status = 'ready' AND at <= $2
			ORDER BY at, number LIMIT $4 FOR UPDATE SKIP LOCKED)
		UPDATE queue q SET status = 'leased', at = $3, lease = replace(gen_random_uuid()::text, '-', '')
		FROM c WHERE q.destination = $1 AND q.number = c.number
		RETURNING c.at, `+qualified("q", itemCols), s.d.name, now, now.Add(lease), limit)
	if err != nil {
		return nil, unavailable("claim", err)
	}
	type claimed struct {
		due time.Time
		it  queue.Item
	}
	var got []claimed
	for rows.Next() {
		var due time.Time
		r, err := scanItem(prefixed{rows, tm{&due}})
		if err != nil {
			rows.Close()
			return nil, unavailable("claim", err)
		}
		got = append(got, claimed{due, r.item})
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable("claim", err)
	}
	slices.SortFunc(got, func(a, b claimed) int {
		if c := a.due.Compare(b.due); c != 0 {
			return c
		}
		return compareStrings(a.it.Number, b.it.Number)
	})
	out := make([]queue.Item, len(got))
	for i, c := range got {
		out[i] = c.it
	}
	return out, nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// prefixed scans its first destination into p, the rest as the row asks.
type prefixed struct {
	pgx.Row
	p any
}

func (r prefixed) Scan(dst ...any) error { return r.Row.Scan(append([]any{r.p}, dst...)...) }

func qualified(alias, cols string) string {
	var out []byte
	start := true
	for i := 0; i < len(cols); i++ {
		c := cols[i]
		if start && c != ' ' && c != '\n' && c != '\t' {
			out = append(out, alias...)
			out = append(out, '.')
			start = false
		}
		if c == ',' {
			start = true
		}
		out = append(out, c)
	}
	return string(out)
}

// NextDue is the due time of the earliest ready entry.
func (s *Store) NextDue(ctx context.Context) (time.Time, bool, error) {
	var at time.Time
	err := s.pool.QueryRow(ctx, `SELECT min(at) FROM queue WHERE destination = $1 AND status = 'ready'`, s.d.name).
		Scan(tm{&at})
	if err != nil {
		return time.Time{}, false, unavailable("next due", err)
	}
	return at, !at.IsZero(), nil
}

// Stats counts the destination's entries.
func (s *Store) Stats(ctx context.Context) (queue.Stats, error) {
	var st queue.Stats
	err := s.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'ready'), count(*) FILTER (WHERE status = 'leased'),
		count(*) FILTER (WHERE status = 'dead'), min(first_received_at) FILTER (WHERE status <> 'dead')
		FROM queue WHERE destination = $1`, s.d.name).Scan(&st.Ready, &st.Leased, &st.Dead, tm{&st.OldestReceived})
	if err != nil {
		return queue.Stats{}, unavailable("stats", err)
	}
	return st, nil
}

// Extend moves the deadline of the leases still held under their tokens to now+lease.
func (s *Store) Extend(ctx context.Context, items []queue.Item, lease time.Duration) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("pgq: extend: %w", err)
	}
	if len(items) == 0 {
		return 0, nil
	}
	nums, tokens := make([]string, len(items)), make([]string, len(items))
	for i, it := range items {
		nums[i], tokens[i] = it.Number, it.Lease
	}
	tag, err := s.pool.Exec(ctx, `UPDATE queue q SET at = $2 FROM unnest($3::text[], $4::text[]) AS h(number, lease)
		WHERE q.destination = $1 AND q.number = h.number AND q.status = 'leased' AND q.lease = h.lease AND h.lease <> ''`,
		s.d.name, ms(s.now().Add(lease)), nums, tokens)
	if err != nil {
		return 0, unavailable("extend", err)
	}
	return int(tag.RowsAffected()), nil
}

// isConflict reports a deadlock or a serialization failure: the transaction may simply run again.
func isConflict(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}
