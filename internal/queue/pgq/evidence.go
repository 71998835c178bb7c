package pgq

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dncsync/dncsync/internal/queue"
)

var _ queue.Evidence = (*Store)(nil)

const trailCols = `seq, at, number, kind, destination, action, raw, source, channel, reason, scope, event_id, region,
	occurred_at, received_at, expires_at, detail, repeats, consent_channel, purpose, policy`

func (s *Store) scanRecord(row pgx.Row) (int64, queue.AuditRecord, error) {
	var seq int64
	var r queue.AuditRecord
	var kind, dest, action string
	var repeats int32
	err := row.Scan(&seq, tm{&r.At}, &r.Number, &kind, &dest, &action, &r.Raw, &r.Source, &r.Channel, &r.Reason,
		&r.Scope, &r.EventID, &r.Region, tm{&r.OccurredAt}, tm{&r.ReceivedAt}, tm{&r.ExpiresAt}, &r.Detail, &repeats,
		&r.ConsentChannel, &r.Purpose, &r.Policy)
	unesc(&r.Raw, &r.Source, &r.Channel, &r.Reason, &r.Scope, &r.EventID, &r.Region, &r.Detail, &r.ConsentChannel,
		&r.Purpose, &r.Policy)
	r.Kind, r.Destination, r.Action, r.Repeats = queue.AuditKind(kind), s.label(dest), queue.Action(action), int(repeats)
	return seq, r, err
}

// Lookup returns a number's state and one page of its trail. Cursors are record sequences.
func (s *Store) Lookup(ctx context.Context, number string, page queue.Page) (queue.History, bool, error) {
	before := int64(1<<63 - 1)
	if page.Before != "" {
		n, err := strconv.ParseInt(page.Before, 10, 64)
		if err != nil {
			return queue.History{}, false, queue.ErrBadCursor
		}
		before = n
	}
	var h queue.History
	var found bool
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		h, found = queue.History{}, false
		if page.Before != "" {
			var ok bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM audit_trail WHERE number = $1 AND seq = $2)`,
				number, before).Scan(&ok); err != nil {
				return err
			}
			if !ok {
				return queue.ErrBadCursor
			}
		}
		states, err := s.states(ctx, tx, []string{number})
		if err != nil {
			return err
		}
		if st, ok := states[number]; ok {
			h.State, found = st, true
		}
		size := page.Size()
		rows, err := tx.Query(ctx, `SELECT `+trailCols+` FROM audit_trail WHERE number = $1 AND seq < $2
			ORDER BY seq DESC LIMIT $3`, number, before, size+1)
		if err != nil {
			return err
		}
		defer rows.Close()
		var seqs []int64
		for rows.Next() {
			seq, rec, err := s.scanRecord(rows)
			if err != nil {
				return err
			}
			seqs = append(seqs, seq)
			h.Records = append(h.Records, rec)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(h.Records) > size {
			h.Records, seqs = h.Records[:size], seqs[:size]
			h.Older = strconv.FormatInt(seqs[size-1], 10)
		}
		for i, j := 0, len(h.Records)-1; i < j; i, j = i+1, j-1 {
			h.Records[i], h.Records[j] = h.Records[j], h.Records[i]
		}
		return nil
	})
	if errors.Is(err, queue.ErrBadCursor) {
		return queue.History{}, false, err
	}
	if err != nil {
		return queue.History{}, false, unavailable("lookup", err)
	}
	return h, found, nil
}

type querier2 interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// states reads the standing of numbers (those known: a row of numbers, or an entry in the queue),
// as of now: what each destination says, pending or dead while it has an entry (boltq's fill).
func (s *Store) states(ctx context.Context, q querier2, numbers []string) (map[string]queue.NumberState, error) {
	out := map[string]queue.NumberState{}
	type nrow struct {
		state string
		first time.Time
		last  time.Time
	}
	nums := map[string]nrow{}
	dests := map[key]queue.DestState{}
	queued := map[key]string{}
	b := &pgx.Batch{}
	b.Queue(`SELECT number, state, first_requested_at, last_event_at FROM numbers WHERE number = ANY($1)`, numbers).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var n string
				var r nrow
				if err := rows.Scan(&n, &r.state, tm{&r.first}, tm{&r.last}); err != nil {
					return err
				}
				nums[n] = r
			}
			return rows.Err()
		})
	b.Queue(`SELECT number, destination, state, coalesce(confirmed_action, ''), confirmed_occurred_at, confirmed_at,
		confirmed_expires_at, coalesce(last_error, '') FROM number_destinations WHERE number = ANY($1)`, numbers).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var n, d, st, act string
				var ds queue.DestState
				if err := rows.Scan(&n, &d, &st, &act, tm{&ds.ConfirmedOccur}, tm{&ds.ConfirmedAt},
					tm{&ds.ConfirmedExpires}, &ds.LastError); err != nil {
					return err
				}
				unesc(&ds.LastError)
				ds.State, ds.ConfirmedAction = queue.State(st), queue.Action(act)
				dests[key{d, n}] = ds
			}
			return rows.Err()
		})
	b.Queue(`SELECT number, destination, status FROM queue WHERE destination = ANY($2) AND number = ANY($1)`, numbers,
		s.Destinations()).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var n, d, st string
				if err := rows.Scan(&n, &d, &st); err != nil {
					return err
				}
				queued[key{d, n}] = st
			}
			return rows.Err()
		})
	var br pgx.BatchResults
	switch c := q.(type) {
	case pgx.Tx:
		br = c.SendBatch(ctx, b)
	case interface {
		SendBatch(context.Context, *pgx.Batch) pgx.BatchResults
	}:
		br = c.SendBatch(ctx, b)
	default:
		return nil, fmt.Errorf("pgq: states: %T cannot send a batch", q)
	}
	if err := br.Close(); err != nil {
		return nil, err
	}
	now := s.now()
	for _, number := range numbers {
		nr, known := nums[number]
		st := queue.NumberState{Number: number, State: queue.State(nr.state), FirstRequestedAt: nr.first,
			LastEventAt: nr.last}
		anyQueued := false
		for i, d := range s.dests {
			ds, ok := dests[key{d.name, number}]
			if !ok && i == 0 {
				ds = queue.DestState{State: st.State}
			}
			switch queued[key{d.name, number}] {
			case "dead":
				ds.State, anyQueued = queue.StateDead, true
			case "ready", "leased":
				ds.State, anyQueued = queue.StatePending, true
			}
			if i == 0 {
				st.State, st.ConfirmedAction, st.ConfirmedOccur, st.ConfirmedAt = ds.State, ds.ConfirmedAction,
					ds.ConfirmedOccur, ds.ConfirmedAt
				st.ConfirmedExpires, st.LastError = ds.ConfirmedExpires, ds.LastError
			}
			if len(s.dests) > 1 && ds.State != "" && ds.State != queue.StateRejected && ds.State != queue.StateIgnored {
				if st.Destinations == nil {
					st.Destinations = map[string]queue.DestState{}
				}
				st.Destinations[d.name] = ds
			}
		}
		if known || anyQueued {
			out[number] = st.At(now)
		}
	}
	return out, nil
}

// statesPage is how many numbers States reads per query.
const statesPage = 1000

// States calls fn with the state of every number (E.164: not rejection keys), in number order.
func (s *Store) States(ctx context.Context, fn func(queue.NumberState) error) error {
	from := ""
	for {
		rows, err := s.pool.Query(ctx, `SELECT number FROM numbers WHERE number LIKE '+%' AND number > $1
			AND (newest_seq IS NOT NULL OR state <> '') ORDER BY number LIMIT $2`, from, statesPage)
		if err != nil {
			return unavailable("states", err)
		}
		nums, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return unavailable("states", err)
		}
		if len(nums) == 0 {
			return nil
		}
		states, err := s.states(ctx, s.pool, nums)
		if err != nil {
			return unavailable("states", err)
		}
		for _, n := range nums {
			if st, ok := states[n]; ok {
				if err := fn(st); err != nil {
					return err
				}
			}
		}
		if len(nums) < statesPage {
			return nil
		}
		from = nums[len(nums)-1]
	}
}

// exportPage is how many records Export reads per query; fn runs between queries, outside any
// transaction. exportWindow is the span of seqs one query looks at: the audit tables have BRIN
// indexes on seq, not B-trees (schema 6), which find a window's blocks but cannot hand records
// over in seq order, so each query sorts at most one window's records.
const (
	exportPage   = 1000
	exportWindow = 20000
)

// Export streams the records written in [since, until) in the order written.
func (s *Store) Export(ctx context.Context, since, until time.Time, fn func(queue.AuditRecord) error) error {
	// A BRIN index ignores the block ranges written since the table was last vacuumed: every window
	// would read all of them. Summarise them first (autovacuum does it too, in its time). A role
	// that may not is only slower, so its error is not the export's.
	_, _ = s.pool.Exec(ctx, `SELECT brin_summarize_new_values(c.oid) FROM pg_class c JOIN pg_am a ON a.oid = c.relam
		WHERE a.amname = 'brin' AND c.relkind = 'i' AND c.relnamespace = current_schema()::regnamespace`)
	var next int64
	for {
		var last int64
		if err := s.pool.QueryRow(ctx, `SELECT last_value FROM audit_seq`).Scan(&last); err != nil {
			return unavailable("export", err)
		}
		if next >= last {
			return nil
		}
		end := next + exportWindow
		rows, err := s.pool.Query(ctx, `SELECT `+trailCols+` FROM audit_trail WHERE seq > $1 AND seq <= $5
			AND ($2::timestamptz IS NULL OR at >= $2) AND ($3::timestamptz IS NULL OR at < $3)
			ORDER BY seq LIMIT $4`, next, tz(since), tz(until), exportPage, end)
		if err != nil {
			return unavailable("export", err)
		}
		var page []queue.AuditRecord
		for rows.Next() {
			seq, rec, err := s.scanRecord(rows)
			if err != nil {
				rows.Close()
				return unavailable("export", err)
			}
			next = seq
			page = append(page, rec)
		}
		if err := rows.Err(); err != nil {
			return unavailable("export", err)
		}
		for _, rec := range page {
			if err := fn(rec); err != nil {
				return err
			}
		}
		if len(page) < exportPage {
			next = end // the window is done
		}
	}
}
