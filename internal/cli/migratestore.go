package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/app"
	"github.com/dncsync/dncsync/internal/queue"
)

// What migrate-store needs of the store it moves from, beyond every store's reads (Export, States,
// Rejections): its entries and event ids. Every store has them.
type movableStore interface {
	Entries(ctx context.Context, fn func(queue.Entry) error) error
	EventIDs(ctx context.Context, fn func(queue.EventID) error) error
}

// What it needs of the store it moves to: writes that keep each record's time and each entry's
// place, that a second run does not double, and its own entries to compare. Every store has them
// (pgq, boltq and redisq restore.go).
type restoringStore interface {
	RestoreRecords(ctx context.Context, recs []queue.Moved) (int, error)
	RestoreStates(ctx context.Context, states []queue.NumberState) error
	RestoreEntries(ctx context.Context, entries []queue.Entry) error
	RemoveEntries(ctx context.Context, entries []queue.Entry) error
	Entries(ctx context.Context, fn func(queue.Entry) error) error
	RestoreEventIDs(ctx context.Context, ids []queue.EventID) error
	RestoreLastConfirmed(ctx context.Context, dest string, at time.Time) error
}

// moveBatch is how many records, states, entries or ids one transaction of the target writes.
const moveBatch = 500

// cmdMigrateStore runs `dncsync migrate-store --from URL --to URL`: moves a deployment's queue and
// evidence from one store to another.
func cmdMigrateStore(ctx context.Context, o cmdIO, args []string) error {
	e := newEnv(o, "migrate-store", "dncsync migrate-store --from URL|DIR --to URL|DIR", "DNCSYNC_DESTINATIONS",
		"DNCSYNC_EVENT_ID_TTL")
	e.about = "Moves a deployment's queue and evidence from one store to another: each destination's pending entries\n" +
		"with their attempts and place in line, the dead letters, every number's state and confirmations, the audit\n" +
		"trail with its times, the rejections, the last confirmation, and the event ids still remembered.\n" +
		"--from is redis://..., postgres://... or the embedded store's directory (DNCSYNC_DATA_DIR); --to is\n" +
		"postgres://... (run `dncsync migrate` on it first), redis://... or a directory for the embedded store (empty,\n" +
		"or written only by earlier runs of the same move). Run it again at will: nothing is doubled, and each\n" +
		"number's state and queue are set to the old store's. So: run it while the old service runs, stop that\n" +
		"service, run it once more, then start serve on the new store (docs/postgres.md)."
	from := e.fs.String("from", "", "the store to move from: redis://..., postgres://... or a directory holding dncsync.db")
	to := e.fs.String("to", "", "the store to move to: postgres://..., redis://... or a directory for the embedded store")
	if err := e.parse(args); err != nil {
		return err
	}
	if err := e.check(); err != nil {
		return err
	}
	if e.fs.NArg() > 0 || *from == "" || *to == "" {
		return usageErr("usage: %s", e.usage)
	}
	if filepath.Clean(*to) == filepath.Clean(*from) {
		return usageErr("--to is --from")
	}
	if !strings.Contains(*from, "://") {
		// Opening an embedded store creates it: a mistyped directory would move nothing, silently.
		if _, err := os.Stat(filepath.Join(*from, app.StoreFile)); err != nil {
			return usageErr("--from %s: no embedded store there: %w", *from, err)
		}
	}
	src, err := openAt(e.cfg, *from)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	defer src.Close()
	dst, err := openAt(e.cfg, *to)
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	defer dst.Close()
	out, ok := unwrap(src.Store).(movableStore)
	if !ok {
		return usageErr("--from: the %s store cannot be moved from", src.Name)
	}
	in, ok := unwrap(dst.Store).(restoringStore)
	if !ok {
		return usageErr("--to: the %s store cannot be moved to", dst.Name)
	}
	if err := src.SameDestinations(e.cfg.Destinations()); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "moving from the %s store to the %s store\n", src.Name, dst.Name)
	n, err := moveStore(ctx, src.Store, out, in, e.stdout)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "moved: %d records (%d already there), %d numbers' states, %d entries (%d leased, "+
		"recovered once their lease runs out; %d dead; %d removed, no longer queued there), %d event ids\n",
		n.records, n.had, n.states, n.entries, n.leased, n.dead, n.removed, n.ids)
	return nil
}

// unwrap is the store itself under what the service wraps it in (app's routing).
func unwrap(s queue.Store) queue.Store {
	for {
		u, ok := s.(interface{ Unwrap() queue.Store })
		if !ok {
			return s
		}
		s = u.Unwrap()
	}
}

// openAt opens the store that where names with the settings of cfg.
func openAt(cfg *app.Config, where string) (*app.Store, error) {
	c := *cfg
	c.DatabaseURL, c.RedisURL = "", ""
	switch {
	case strings.HasPrefix(where, "postgres://"), strings.HasPrefix(where, "postgresql://"):
		c.DatabaseURL = where
	case strings.HasPrefix(where, "redis://"), strings.HasPrefix(where, "rediss://"):
		c.RedisURL = where
	case strings.Contains(where, "://"):
		return nil, fmt.Errorf("%q: want postgres://, redis:// or rediss://, or a directory", strings.SplitN(where, "://", 2)[0]+"://")
	default:
		c.DataDir = where
	}
	return app.OpenStore(&c)
}

type moved struct{ records, had, states, entries, leased, dead, removed, ids int }

// moveStore copies, in this order, the trail (so that states written after it are the source's,
// not what replaying the records made them), the states, the entries, the event ids and the last
// confirmations.
func moveStore(ctx context.Context, src queue.Store, out movableStore, in restoringStore, progress io.Writer) (moved, error) {
	var n moved
	// The rejections kept, with their bodies and digests, joined to their records in the trail.
	kept := map[string][]queue.Rejection{}
	rejs, err := src.RejectionsSince(ctx, time.Time{}, 1<<30)
	if err != nil {
		return n, fmt.Errorf("read rejections: %w", err)
	}
	for _, r := range rejs {
		k := rejectionKey(r.Key, r.ReceivedAt, r.Reason)
		kept[k] = append(kept[k], r)
	}
	var seq queue.Sequencer
	n.records, err = inBatches(ctx, func(ctx context.Context, fn func(queue.Moved) error) error {
		return src.Export(ctx, time.Time{}, time.Time{}, func(r queue.AuditRecord) error {
			m := queue.Moved{Record: r, Seq: seq.Next(&r)}
			if r.Kind == queue.AuditRejected {
				k := rejectionKey(r.Number, r.ReceivedAt, r.Detail)
				if rs := kept[k]; len(rs) > 0 {
					m.Rejection, kept[k] = &rs[0], rs[1:]
				}
			}
			return fn(m)
		})
	}, func(recs []queue.Moved) error {
		w, err := in.RestoreRecords(ctx, recs)
		n.had += len(recs) - w
		return err
	})
	if err != nil {
		return n, fmt.Errorf("move the audit trail: %w", err)
	}
	fmt.Fprintf(progress, "  audit trail: %d records\n", n.records)
	n.states, err = inBatches(ctx, src.States, func(sts []queue.NumberState) error { return in.RestoreStates(ctx, sts) })
	if err != nil {
		return n, fmt.Errorf("move the numbers' states: %w", err)
	}
	fmt.Fprintf(progress, "  states: %d numbers\n", n.states)
	n.entries, err = inBatches(ctx, out.Entries, func(es []queue.Entry) error {
		for _, en := range es {
			switch en.Status {
			case queue.EntryLeased:
				n.leased++
			case queue.EntryDead:
				n.dead++
			}
		}
		return in.RestoreEntries(ctx, es)
	})
	if err != nil {
		return n, fmt.Errorf("move the queue: %w", err)
	}
	// What an earlier run put here that the old store no longer holds (pushed since) goes.
	held := map[[2]string]bool{}
	err = out.Entries(ctx, func(en queue.Entry) error {
		held[[2]string{en.Dest, en.Item.Number}] = true
		return nil
	})
	var gone []queue.Entry
	if err == nil {
		err = in.Entries(ctx, func(en queue.Entry) error {
			if !held[[2]string{en.Dest, en.Item.Number}] {
				gone = append(gone, en)
			}
			return nil
		})
	}
	for len(gone) > 0 && err == nil {
		k := min(len(gone), moveBatch)
		err = in.RemoveEntries(ctx, gone[:k])
		n.removed += k
		gone = gone[k:]
	}
	if err != nil {
		return n, fmt.Errorf("move the queue: %w", err)
	}
	fmt.Fprintf(progress, "  queue: %d entries, %d no longer queued there removed\n", n.entries, n.removed)
	n.ids, err = inBatches(ctx, out.EventIDs, func(ids []queue.EventID) error { return in.RestoreEventIDs(ctx, ids) })
	if err != nil {
		return n, fmt.Errorf("move the event ids: %w", err)
	}
	for _, d := range src.Destinations() {
		v, err := src.Dest(d)
		if err != nil {
			return n, err
		}
		at, err := v.LastConfirmed(ctx)
		if err == nil {
			err = in.RestoreLastConfirmed(ctx, d, at)
		}
		if err != nil {
			return n, fmt.Errorf("move the last confirmation of %s: %w", d, err)
		}
	}
	return n, nil
}

// inBatches reads every value of read and hands them to write moveBatch at a time (the one loop of
// every kind of value moved); it returns how many it handed over.
func inBatches[T any](ctx context.Context, read func(context.Context, func(T) error) error, write func([]T) error) (int, error) {
	var n int
	batch := make([]T, 0, moveBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		n += len(batch)
		err := write(batch)
		batch = batch[:0]
		return err
	}
	err := read(ctx, func(v T) error {
		if batch = append(batch, v); len(batch) < moveBatch {
			return nil
		}
		return flush()
	})
	if err == nil {
		err = flush()
	}
	return n, err
}

func rejectionKey(key string, received time.Time, reason string) string {
	return key + "\x00" + received.UTC().Format(time.RFC3339Nano) + "\x00" + reason
}
