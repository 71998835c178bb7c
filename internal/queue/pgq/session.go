package pgq

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dncsync/dncsync/internal/queue"
)

var _ queue.Sessions = (*Store)(nil)

// RevokeSession records id as ended until until, and forgets the records whose time has passed.
func (s *Store) RevokeSession(ctx context.Context, id string, until time.Time) error {
	now := ms(s.now())
	if !ms(until).After(now) {
		return nil
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE until <= $1`, now); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO sessions (id, until) VALUES ($1, $2)
			ON CONFLICT (id) DO UPDATE SET until = EXCLUDED.until`, id, ms(until))
		return err
	})
	if err != nil {
		return unavailable("revoke session", err)
	}
	return nil
}

// SessionRevoked reports whether id was revoked and its record's time has not passed.
func (s *Store) SessionRevoked(ctx context.Context, id string) (bool, error) {
	var revoked bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM sessions WHERE id = $1 AND until > $2)`, id, ms(s.now())).
		Scan(&revoked)
	if err != nil {
		return false, unavailable("session revoked", err)
	}
	return revoked, nil
}
