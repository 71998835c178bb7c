package pgq

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dncsync/dncsync/internal/queue"
)

// Rejected input is held to queue.RejectionLimits (queue/rejections.go). A rejection is one row of
// rejections, which is also its audit record; its identity (a unique index) makes a rejection seen
// again a duplicate; rejection_counts keeps the counters, kept being what the cap compares.

// shedPerWrite bounds the oldest rejections one Reject sheds past the cap; TrimRejections sheds
// the rest in batches of trimBatch.
const (
	shedPerWrite = 64
	trimBatch    = 2000
)

type rejCounts struct{ kept, recorded, duplicates, shed, skipped int64 }

func (u *uow) counts(ctx context.Context) (rejCounts, error) {
	var c rejCounts
	err := u.tx.QueryRow(ctx, `SELECT kept, recorded, duplicates, shed, skipped FROM rejection_counts FOR UPDATE`).
		Scan(&c.kept, &c.recorded, &c.duplicates, &c.shed, &c.skipped)
	return c, err
}

func (u *uow) putCounts(ctx context.Context, c rejCounts) error {
	_, err := u.tx.Exec(ctx, `UPDATE rejection_counts SET kept = $1, recorded = $2, duplicates = $3, shed = $4, skipped = $5`,
		c.kept, c.recorded, c.duplicates, c.shed, c.skipped)
	return err
}

func (s *Store) crowded(ctx context.Context) bool {
	if s.usage == nil {
		return false
	}
	used, limit, err := s.usage(ctx)
	return err == nil && limit > 0 && float64(used) >= s.rejLimits.MaxFill*float64(limit)
}

// rejected records r (bounded, with its Key) in its key's trail (see boltq's rejected).
func (u *uow) rejected(r *queue.Rejection, id string) {
	rec := &record{AuditRecord: queue.AuditRecord{Kind: r.Kind, Number: r.Key, Raw: r.Raw, Reason: r.Said,
		Detail: r.Reason, Region: r.Region, Source: r.Source, Channel: r.Channel, EventID: r.EventID,
		ReceivedAt: ms(r.ReceivedAt)}, rej: r, id: id}
	if r.Key != "" {
		n := u.num(r.Key)
		switch {
		case r.Number == "":
			received(n, ms(r.ReceivedAt))
			n.state = queue.State(r.Kind)
		case n.newest == 0 && n.state == "":
			n.state = queue.State(r.Kind)
		}
		n.dirty = true
	}
	u.record(rec)
}

// Reject records each rejection in one transaction, rejected input held to the limits.
func (s *Store) Reject(ctx context.Context, rs ...queue.Rejection) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("pgq: reject: %w", err)
	}
	if len(rs) == 0 {
		return nil
	}
	bounded := make([]queue.Rejection, len(rs))
	rejected := false
	var keys, idents []string
	for i, r := range rs {
		bounded[i] = r.Bound()
		rejected = rejected || bounded[i].Kind == queue.AuditRejected
		if k := bounded[i].Key; k != "" {
			keys = append(keys, k)
		}
		if id := bounded[i].Identity(); id != "" {
			idents = append(idents, id)
		}
	}
	crowded := rejected && s.crowded(ctx)
	var over bool
	err := s.write(ctx, func(u *uow) error {
		if err := u.load(ctx, keys, nil); err != nil {
			return err
		}
		seen := map[string]bool{}
		if len(idents) > 0 {
			rows, err := u.tx.Query(ctx, `SELECT identity FROM rejections WHERE identity = ANY($1)`, idents)
			if err != nil {
				return err
			}
			ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return err
			}
			for _, id := range ids {
				seen[id] = true
			}
		}
		st, err := u.counts(ctx)
		if err != nil {
			return err
		}
		for i := range bounded {
			r := &bounded[i]
			if r.Kind != queue.AuditRejected {
				u.rejected(r, "")
				continue
			}
			id := r.Identity()
			switch {
			case id != "" && seen[id]:
				st.duplicates++
				continue
			case crowded:
				st.skipped++
				continue
			}
			if id != "" {
				seen[id] = true
			}
			u.rejected(r, id)
			st.kept++
			st.recorded++
		}
		over = st.kept > int64(s.rejLimits.Cap)
		return u.putCounts(ctx, st)
	})
	if err != nil {
		return unavailable("reject", err)
	}
	if over {
		// Shed in a transaction of its own: it locks other keys' rows, which must not be taken after
		// this write's (numbers are locked in order, once per transaction).
		if _, err := s.shed(ctx, shedPerWrite, time.Time{}); err != nil {
			return unavailable("reject: shed past the cap", err)
		}
	}
	return nil
}

// shed drops up to most of the oldest rejections: those past the cap (counted as shed) and, with
// cut set, those received before it. It returns how many went.
func (s *Store) shed(ctx context.Context, most int, cut time.Time) (int, error) {
	// The victims are chosen without locks, then locked through their keys and checked again.
	type victim struct {
		seq      int64
		key      string
		received time.Time
	}
	var cands []victim
	rows, err := s.pool.Query(ctx, `SELECT seq, number, received_at FROM rejections WHERE kind = 'rejected'
		ORDER BY seq LIMIT $1`, most)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var v victim
		if err := rows.Scan(&v.seq, &v.key, tm{&v.received}); err != nil {
			rows.Close()
			return 0, err
		}
		cands = append(cands, v)
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(cands) == 0 {
		return 0, nil
	}
	keys := make([]string, 0, len(cands))
	for _, v := range cands {
		if v.key != "" {
			keys = append(keys, v.key)
		}
	}
	n := 0
	err = s.write(ctx, func(u *uow) error {
		n = 0
		if err := u.load(ctx, keys, nil); err != nil {
			return err
		}
		st, err := u.counts(ctx)
		if err != nil {
			return err
		}
		for _, v := range cands {
			over := st.kept > int64(s.rejLimits.Cap)
			if !over && (cut.IsZero() || !v.received.Before(cut)) {
				break
			}
			tag, err := u.tx.Exec(ctx, `DELETE FROM rejections WHERE seq = $1`, v.seq)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				continue // gone meanwhile
			}
			if err := u.forgetRecord(ctx, v.key, v.seq); err != nil {
				return err
			}
			st.kept--
			if over {
				st.shed++
			}
			n++
		}
		if st.kept < 0 {
			st.kept = 0
		}
		return u.putCounts(ctx, st)
	})
	return n, err
}

// forgetRecord fixes key's newest record after its record seq was deleted: the one before it
// becomes the newest; with none left, a key that only ever saw rejected input is forgotten.
func (u *uow) forgetRecord(ctx context.Context, key string, seq int64) error {
	if key == "" {
		return nil
	}
	n := u.num(key)
	if n.newest != seq {
		return nil
	}
	var prev int64
	if err := u.tx.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM audit_trail WHERE number = $1`, key).Scan(&prev); err != nil {
		return err
	}
	n.newest, n.dirty = prev, true
	if prev == 0 && n.state == queue.StateRejected {
		n.gone = true
	}
	return nil
}

// TrimRejections drops the rejections received before cutoff and the oldest past the cap.
func (s *Store) TrimRejections(ctx context.Context, cutoff time.Time) (int, error) {
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, fmt.Errorf("pgq: trim rejections: %w", err)
		}
		n, err := s.shed(ctx, trimBatch, cutoff)
		if err != nil {
			return total, unavailable("trim rejections", err)
		}
		total += n
		if n < trimBatch {
			return total, nil
		}
	}
}

// RejectionStats reads the counters.
func (s *Store) RejectionStats(ctx context.Context) (queue.RejectionStats, error) {
	var c rejCounts
	err := s.pool.QueryRow(ctx, `SELECT kept, recorded, duplicates, shed, skipped FROM rejection_counts`).
		Scan(&c.kept, &c.recorded, &c.duplicates, &c.shed, &c.skipped)
	if err != nil {
		return queue.RejectionStats{}, unavailable("rejection stats", err)
	}
	out := queue.RejectionStats{Kept: c.kept, Cap: int64(s.rejLimits.Cap), Recorded: c.recorded,
		Duplicates: c.duplicates, Shed: c.shed, Skipped: c.skipped, Fill: -1}
	if s.usage != nil {
		if used, limit, err := s.usage(ctx); err == nil && limit > 0 {
			out.Fill = float64(used) / float64(limit)
		}
	}
	return out, nil
}

const rejCols = `number, valid_number, kind, raw, body, said, reason, region, source, channel, event_id, received_at, hash, bytes`

func scanRejection(row pgx.Row) (queue.Rejection, error) {
	var r queue.Rejection
	var valid bool
	var kind string
	var bytes int32
	err := row.Scan(&r.Key, &valid, &kind, &r.Raw, &r.Body, &r.Said, &r.Reason, &r.Region, &r.Source, &r.Channel,
		&r.EventID, tm{&r.ReceivedAt}, &r.Hash, &bytes)
	unesc(&r.Raw, &r.Body, &r.Said, &r.Reason, &r.Region, &r.Source, &r.Channel, &r.EventID)
	r.Kind, r.Bytes = queue.AuditKind(kind), int(bytes)
	if valid {
		r.Number = r.Key
	}
	return r, err
}

func (s *Store) rejections(ctx context.Context, since time.Time, limit int) ([]queue.Rejection, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+rejCols+` FROM rejections WHERE kind = 'rejected'
		AND ($1::timestamptz IS NULL OR received_at >= $1) ORDER BY seq DESC LIMIT $2`, tz(since), max(limit, 0))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (queue.Rejection, error) { return scanRejection(row) })
}

// Rejections returns up to limit rejections, newest first.
func (s *Store) Rejections(ctx context.Context, limit int) ([]queue.Rejection, error) {
	out, err := s.rejections(ctx, time.Time{}, limit)
	if err != nil {
		return nil, unavailable("rejections", err)
	}
	return out, nil
}

// RejectionsSince returns up to limit rejections received at or after since, newest first.
func (s *Store) RejectionsSince(ctx context.Context, since time.Time, limit int) ([]queue.Rejection, error) {
	out, err := s.rejections(ctx, since, limit)
	if err != nil {
		return nil, unavailable("rejections since", err)
	}
	return out, nil
}
