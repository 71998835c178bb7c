package pgq

import (
	"context"

	"github.com/dncsync/dncsync/internal/queue"
)

// Entries calls fn with every destination's entries, ready, leased and dead, from one snapshot:
// what `dncsync migrate-store` moves from this store, or compares with when moving to it.
func (s *Store) Entries(ctx context.Context, fn func(queue.Entry) error) error {
	rows, err := s.pool.Query(ctx, `SELECT `+itemCols+` FROM queue WHERE destination = ANY($1) ORDER BY destination, number`,
		s.Destinations())
	if err != nil {
		return unavailable("entries", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanItem(rows)
		if err != nil {
			return unavailable("entries", err)
		}
		if err := fn(queue.Entry{Dest: r.dest, Item: r.item, Status: queue.EntryStatus(r.status), At: r.at}); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return unavailable("entries", err)
	}
	return nil
}

// EventIDs calls fn with every event id remembered and not yet expired.
func (s *Store) EventIDs(ctx context.Context, fn func(queue.EventID) error) error {
	rows, err := s.pool.Query(ctx, `SELECT event_id, number, expires_at FROM event_ids WHERE expires_at > $1`, ms(s.now()))
	if err != nil {
		return unavailable("event ids", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id queue.EventID
		if err := rows.Scan(&id.ID, &id.Number, tm{&id.Expires}); err != nil {
			return unavailable("event ids", err)
		}
		unesc(&id.ID)
		if err := fn(id); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return unavailable("event ids", err)
	}
	return nil
}
