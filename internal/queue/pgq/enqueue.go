package pgq

import (
	"context"
	"fmt"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// maxNumberLen bounds what is taken for a number; E.164 needs 16 bytes.
const maxNumberLen = 64

// Enqueue records events in one transaction, each with its audit record: all or none. Concurrent
// calls share a transaction (committer), and each returns after the commit that holds its events.
func (s *Store) Enqueue(ctx context.Context, events []queue.Event) ([]queue.EnqueueStatus, error) {
	if err := s.checkEvents(ctx, events); err != nil {
		return nil, err
	}
	if len(events) == 0 {
		return []queue.EnqueueStatus{}, nil
	}
	return s.group.enqueue(ctx, events)
}

// checkEvents refuses a batch Enqueue would not take, naming the event.
func (s *Store) checkEvents(ctx context.Context, events []queue.Event) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("pgq: enqueue: %w", err)
	}
	for i := range events {
		if err := events[i].Validate(); err != nil {
			return fmt.Errorf("pgq: enqueue: event %d: %w", i, err)
		}
		if err := events[i].CheckLanes(s.Destinations()); err != nil {
			return fmt.Errorf("pgq: enqueue: event %d: %w", i, err)
		}
		if len(events[i].Number) > maxNumberLen {
			return fmt.Errorf("pgq: enqueue: event %d: number longer than %d bytes", i, maxNumberLen)
		}
	}
	return nil
}

// enqueueAll records the events of several callers in one transaction and returns each one's
// statuses.
func (s *Store) enqueueAll(ctx context.Context, batches [][]queue.Event) ([][]queue.EnqueueStatus, error) {
	var out [][]queue.EnqueueStatus
	err := s.write(ctx, func(u *uow) error {
		var numbers []string
		var ids [][2]string
		for _, evs := range batches {
			for _, ev := range evs {
				numbers = append(numbers, ev.Number)
				if ev.ID != "" {
					ids = append(ids, [2]string{queue.BoundID(ev.ID), ev.Number})
				}
			}
		}
		if err := u.load(ctx, numbers, ids); err != nil {
			return err
		}
		out = make([][]queue.EnqueueStatus, len(batches))
		idExpiry := u.now.Add(s.ttl)
		for i, evs := range batches {
			out[i] = make([]queue.EnqueueStatus, len(evs))
			for j := range evs {
				out[i][j] = u.enqueue(evs[j], idExpiry)
			}
		}
		return nil
	})
	return out, err
}

func (u *uow) enqueue(ev queue.Event, idExpiry time.Time) queue.EnqueueStatus {
	// Compare at the millisecond the store keeps, as the other stores do.
	ev.OccurredAt, ev.ReceivedAt, ev.ExpiresAt = ms(ev.OccurredAt), ms(ev.ReceivedAt), ms(ev.ExpiresAt)
	if ev.ID != "" {
		k := [2]string{queue.BoundID(ev.ID), ev.Number}
		if exp, ok := u.ids[k]; ok && exp.After(u.now) {
			return queue.Duplicate
		}
		u.ids[k], u.newID[k] = idExpiry, true
	}
	n := u.num(ev.Number)
	received(n, ev.ReceivedAt)
	// The one copy of an event's fields into its record (At is set when the record is written).
	rec := queue.Received(ev, time.Time{})
	rec.EventID = queue.BoundID(ev.ID)
	status := queue.Stale
	for _, d := range u.s.dests {
		if !ev.For(d.name) {
			continue
		}
		st := u.put(&ev, d.name)
		if st == queue.Created || (st == queue.Merged && status == queue.Stale) {
			status = st
		}
	}
	if status == queue.Stale {
		rec.Kind = queue.AuditStale
	}
	u.record(&record{AuditRecord: rec})
	return status
}

// put queues ev for destination d (see boltq's put: the same rules).
func (u *uow) put(ev *queue.Event, d string) queue.EnqueueStatus {
	r := u.item(d, ev.Number)
	conf := u.destState(d, ev.Number)
	if r == nil && conf.ConfirmedAction != "" {
		stale := !queue.Wins(ev.OccurredAt, ev.Action, conf.ConfirmedOccur, conf.ConfirmedAction)
		if ev.Resync {
			stale = conf.ConfirmedAction != ev.Action || conf.ConfirmedOccur.UnixMilli() != ev.OccurredAt.UnixMilli()
		}
		if stale {
			return queue.Stale
		}
	}
	if r == nil {
		k := key{d, ev.Number}
		old := u.items[k]
		r = &itemRow{dest: d, item: queue.NewItem(*ev), stored: old != nil && old.stored}
		u.items[k] = r
		u.move(r, "ready", r.item.FirstReceivedAt)
		return queue.Created
	}
	queue.Merge(&r.item, *ev)
	r.dirty = true
	if r.status != "dead" {
		return queue.Merged
	}
	// A new request for a dead number is a new chance: fresh attempts, due now (boltq's put says why).
	r.item.Attempts = 0
	u.move(r, "ready", u.now)
	return queue.Merged
}
