package pgq

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// The audit tables events and confirmation_log are partitioned by the month a record was written
// (at), one partition per month, named events_pYYYYMM. Retention drops whole months: a month whose
// end is before the cutoff goes with DROP TABLE, which costs the same for ten rows as for ten
// million and leaves no dead tuples to vacuum. Before a month goes, the newest record of each number
// whose newest it is moves to the table's default partition (events_kept), so that no number loses
// the last proof of its state. Only the month the cutoff falls in is trimmed row by row, and only
// the rows before the cutoff.

// auditTables are the partitioned tables.
var auditTables = []string{"events", "confirmation_log"}

// monthsAhead is how many months of partitions exist beyond the current one: created at open and
// at every trim (the service trims daily), so that records never land in the default partition.
const monthsAhead = 3

func monthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

func partitionName(table string, month time.Time) string {
	return fmt.Sprintf("%s_p%04d%02d", table, month.Year(), int(month.Month()))
}

// ensurePartitions creates the partitions of the month of now and monthsAhead after it.
func (s *Store) ensurePartitions(ctx context.Context, now time.Time) error {
	m := monthStart(now)
	for range monthsAhead + 1 {
		for _, t := range auditTables {
			name := partitionName(t, m)
			var exists bool
			if err := s.pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&exists); err != nil {
				return err
			}
			if exists {
				continue
			}
			_, err := s.pool.Exec(ctx, fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s PARTITION OF %s FOR VALUES FROM ('%s') TO ('%s')`,
				name, t, m.Format(time.RFC3339), m.AddDate(0, 1, 0).Format(time.RFC3339)))
			if err != nil && !strings.Contains(err.Error(), "already exists") {
				return fmt.Errorf("create partition %s: %w", name, err)
			}
		}
		m = m.AddDate(0, 1, 0)
	}
	return nil
}

// monthPartitions lists table's month partitions, oldest first, with their months.
func (s *Store) monthPartitions(ctx context.Context, table string) ([]string, []time.Time, error) {
	rows, err := s.pool.Query(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = to_regclass($1) ORDER BY c.relname`, table)
	if err != nil {
		return nil, nil, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, nil, err
	}
	var out []string
	var months []time.Time
	for _, n := range names {
		var y, mo int
		if _, err := fmt.Sscanf(strings.TrimPrefix(n, table+"_p"), "%04d%02d", &y, &mo); err != nil {
			continue // the default partition
		}
		out = append(out, n)
		months = append(months, time.Date(y, time.Month(mo), 1, 0, 0, 0, 0, time.UTC))
	}
	return out, months, nil
}

// newestOf is the SQL for the seq of the newest record of the number named by the SQL expression
// number (0: none). numbers.newest_seq is the newest of its requests and rejections; a push
// record does not rewrite the numbers row (schema 8), so its destinations' rows and
// confirmation_log are asked too: three index probes, at trim time rather than at every confirmation.
func newestOf(number string) string {
	return `coalesce(greatest((SELECT nw_n.newest_seq FROM numbers nw_n WHERE nw_n.number = ` + number + `),
		(SELECT max(nw_d.confirmed_seq) FROM number_destinations nw_d WHERE nw_d.number = ` + number + `),
		(SELECT max(nw_c.seq) FROM confirmation_log nw_c WHERE nw_c.number = ` + number + `)), 0)`
}

// TrimAudit removes the records written before cutoff, except each number's newest: whole months
// by dropping their partitions, the rest row by row. Rejections and ignored words have their own
// limits (TrimRejections) but ignored words also follow this retention.
func (s *Store) TrimAudit(ctx context.Context, cutoff time.Time) (int, error) {
	if err := s.ensurePartitions(ctx, s.now()); err != nil {
		return 0, unavailable("trim audit: partitions", err)
	}
	cut := ms(cutoff)
	total := 0
	for _, t := range auditTables {
		names, months, err := s.monthPartitions(ctx, t)
		if err != nil {
			return total, unavailable("trim audit", err)
		}
		for i, name := range names {
			if months[i].AddDate(0, 1, 0).After(cut) {
				break
			}
			n, err := s.dropMonth(ctx, t, name)
			if err != nil {
				return total, unavailable("trim audit: drop "+name, err)
			}
			total += n
		}
	}
	// The month of the cutoff (and records kept from dropped months that are no longer their
	// number's newest), row by row, in batches.
	for _, t := range []string{"events", "confirmation_log", "rejections"} {
		extra := ""
		if t == "rejections" {
			extra = " AND kind = 'ignored'"
		}
		for {
			tag, err := s.pool.Exec(ctx, fmt.Sprintf(`DELETE FROM %[1]s WHERE (seq, at) IN (SELECT r.seq, r.at FROM %[1]s r
				WHERE r.at < $1%[2]s AND r.seq <> %[3]s
				LIMIT $2)`, t, extra, newestOf("r.number")), cut, trimBatch)
			if err != nil {
				return total, unavailable("trim audit", err)
			}
			total += int(tag.RowsAffected())
			if tag.RowsAffected() < trimBatch {
				break
			}
		}
	}
	// The confirmations destination rows hold (schema 6: fold.go): the row keeps what was
	// confirmed (the number's standing), the record goes from the trail.
	tag, err := s.pool.Exec(ctx, `UPDATE number_destinations d SET confirmed_seq = NULL, confirmed_scope = NULL,
		confirmed_consent_channel = NULL, confirmed_purpose = NULL, confirmed_policy = NULL
		WHERE d.confirmed_seq IS NOT NULL AND d.confirmed_at < $1
		AND d.confirmed_seq <> `+newestOf("d.number"), cut)
	if err != nil {
		return total, unavailable("trim audit", err)
	}
	total += int(tag.RowsAffected())
	return total, nil
}

// dropMonth drops one month partition of table, keeping the records that are their number's newest
// in the default partition. It returns how many records went.
func (s *Store) dropMonth(ctx context.Context, table, name string) (int, error) {
	var removed int
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var all int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+name).Scan(&all); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE keep ON COMMIT DROP AS SELECT r.* FROM `+name+` r
			WHERE r.seq = `+newestOf("r.number")); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `ALTER TABLE `+table+` DETACH PARTITION `+name); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DROP TABLE `+name); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO `+table+` SELECT * FROM keep`)
		if err != nil {
			return err
		}
		removed = all - int(tag.RowsAffected())
		return nil
	})
	return removed, err
}
