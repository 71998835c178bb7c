package pgq

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/dncsync/dncsync/internal/queue"
)

// Histories returns the state and whole trail (oldest first) of each of numbers the store knows,
// in one transaction: the states (states) and one query of the audit_trail view for all of them.
// It answers as Lookup does, page after page, with every record at once.
func (s *Store) Histories(ctx context.Context, numbers []string) (map[string]queue.History, error) {
	var out map[string]queue.History
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		states, err := s.states(ctx, tx, numbers)
		if err != nil {
			return err
		}
		out = make(map[string]queue.History, len(states))
		known := make([]string, 0, len(states))
		for n, st := range states {
			out[n] = queue.History{State: st}
			known = append(known, n)
		}
		if len(known) == 0 {
			return nil
		}
		rows, err := tx.Query(ctx, `SELECT `+trailCols+` FROM audit_trail WHERE number = ANY($1) ORDER BY number, seq`,
			known)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			_, rec, err := s.scanRecord(rows)
			if err != nil {
				return err
			}
			h := out[rec.Number]
			h.Records = append(h.Records, rec)
			out[rec.Number] = h
		}
		return rows.Err()
	})
	if err != nil {
		return nil, unavailable("histories", err)
	}
	return out, nil
}
