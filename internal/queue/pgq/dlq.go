package pgq

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

var _ queue.Operations = (*Store)(nil)

// redriveDetail is the Detail of an AuditRequeued record (the same text as the other stores').
const redriveDetail = "dead letter re-queued by an operator"

// DeadLetters lists dead entries, oldest dead first, with their last errors.
func (s *Store) DeadLetters(ctx context.Context, limit int) ([]queue.DeadLetter, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+itemCols+` FROM queue WHERE destination = $1 AND status = 'dead'
		ORDER BY at, number LIMIT $2`, s.d.name, max(limit, 0))
	if err != nil {
		return nil, unavailable("dead letters", err)
	}
	defer rows.Close()
	var out []queue.DeadLetter
	for rows.Next() {
		r, err := scanItem(rows)
		if err != nil {
			return nil, unavailable("dead letters", err)
		}
		it := r.item
		out = append(out, queue.DeadLetter{Number: it.Number, Action: it.Action, Raw: it.Raw, Source: it.Source,
			LastError: it.LastError, Attempts: it.Attempts, FirstReceivedAt: it.FirstReceivedAt, DeadAt: r.at})
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable("dead letters", err)
	}
	return out, nil
}

func (s *Store) deadNumbers(ctx context.Context, limit int) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT number FROM queue WHERE destination = $1 AND status = 'dead'
		ORDER BY at, number LIMIT $2`, s.d.name, max(limit, 0))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// Redrive returns up to max dead entries to ready, due now, with fresh attempts.
func (s *Store) Redrive(ctx context.Context, max int) (int, error) {
	nums, err := s.deadNumbers(ctx, max)
	if err != nil {
		return 0, unavailable("redrive", err)
	}
	done, err := s.RedriveNumbers(ctx, nums)
	return len(done), err
}

// RedriveNumbers re-queues the named dead letters in one transaction.
func (s *Store) RedriveNumbers(ctx context.Context, numbers []string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("pgq: redrive: %w", err)
	}
	if len(numbers) == 0 {
		return nil, nil
	}
	d := s.d.name
	var done []string
	err := s.write(ctx, func(u *uow) error {
		done = nil
		if err := u.load(ctx, numbers, nil); err != nil {
			return err
		}
		for _, n := range numbers {
			r := u.item(d, n)
			if r == nil || r.status != "dead" || slices.Contains(done, n) {
				continue
			}
			r.item.Attempts, r.item.LastError = 0, ""
			u.move(r, "ready", u.now)
			u.destRecord(d, n, queue.AuditRecord{Kind: queue.AuditRequeued, Number: n, Action: r.item.Action,
				Detail: redriveDetail}, func(st *queue.DestState) { st.LastError = "" })
			done = append(done, n)
		}
		return nil
	})
	if err != nil {
		return nil, unavailable("redrive", err)
	}
	return done, nil
}

// DropDead removes the named dead letters, each with an AuditDropped record carrying reason.
func (s *Store) DropDead(ctx context.Context, numbers []string, reason string) ([]string, error) {
	if strings.TrimSpace(reason) == "" {
		return nil, fmt.Errorf("pgq: drop: %w", queue.ErrNoReason)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("pgq: drop: %w", err)
	}
	if len(numbers) == 0 {
		return nil, nil
	}
	d := s.d.name
	var done []string
	err := s.write(ctx, func(u *uow) error {
		done = nil
		if err := u.load(ctx, numbers, nil); err != nil {
			return err
		}
		for _, n := range numbers {
			r := u.item(d, n)
			if r == nil || r.status != "dead" {
				continue
			}
			u.remove(r)
			u.destRecord(d, n, queue.AuditRecord{Kind: queue.AuditDropped, Number: n, Action: r.item.Action, Detail: reason},
				func(st *queue.DestState) { st.State = queue.StateDropped })
			done = append(done, n)
		}
		return nil
	})
	if err != nil {
		return nil, unavailable("drop", err)
	}
	return done, nil
}

// LastConfirmed is when the destination last confirmed a push.
func (s *Store) LastConfirmed(ctx context.Context) (time.Time, error) {
	var v string
	err := s.pool.QueryRow(ctx, `SELECT coalesce((SELECT value FROM meta WHERE key = $1), '')`,
		"last_confirmed:"+s.d.name).Scan(&v)
	if err != nil {
		return time.Time{}, unavailable("last confirmed", err)
	}
	if v == "" {
		return time.Time{}, nil
	}
	at, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("pgq: last confirmed %q: %w", v, err)
	}
	return at.UTC(), nil
}

var _ queue.Recorder = (*Store)(nil)

// RecordDestinations stores the destination list.
func (s *Store) RecordDestinations(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO meta (key, value) VALUES ('destinations', $1)
		ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`, strings.Join(s.Destinations(), ","))
	if err != nil {
		return unavailable("record destinations", err)
	}
	return nil
}

// RecordedDestinations reads the list RecordDestinations stored; nil if none.
func (s *Store) RecordedDestinations(ctx context.Context) ([]string, error) {
	var v string
	err := s.pool.QueryRow(ctx, `SELECT coalesce((SELECT value FROM meta WHERE key = 'destinations'), '')`).Scan(&v)
	if err != nil {
		return nil, unavailable("recorded destinations", err)
	}
	if v == "" {
		return nil, nil
	}
	return strings.Split(v, ","), nil
}
