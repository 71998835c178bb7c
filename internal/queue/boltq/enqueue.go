package boltq

import (
	"context"
	"fmt"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
	bolt "go.etcd.io/bbolt"
)

// maxNumberLen keeps numbers well inside bbolt's key size limit; E.164 needs 16 bytes.
const maxNumberLen = 64

// Enqueue records events in one transaction, each with its audit record: all or none. It goes
// through db.Batch so that concurrent webhook handlers share one commit and one fsync.
func (s *Store) Enqueue(ctx context.Context, events []queue.Event) ([]queue.EnqueueStatus, error) {
	if err := s.writable("enqueue"); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("boltq: enqueue: %w", err)
	}
	for i := range events {
		if err := events[i].Validate(); err != nil {
			return nil, fmt.Errorf("boltq: enqueue: event %d: %w", i, err)
		}
		if err := events[i].CheckLanes(s.Destinations()); err != nil {
			return nil, fmt.Errorf("boltq: enqueue: event %d: %w", i, err)
		}
		if len(events[i].Number) > maxNumberLen {
			return nil, fmt.Errorf("boltq: enqueue: event %d: number longer than %d bytes", i, maxNumberLen)
		}
	}
	if len(events) == 0 {
		return []queue.EnqueueStatus{}, nil
	}
	now := s.now()
	nowMs, idExpiry := ms(now), ms(now.Add(s.ttl))
	var statuses []queue.EnqueueStatus
	err := s.write(ctx, s.db.Batch, func(tx *bolt.Tx) error {
		// Batch may run this more than once (when another call in the batch fails, the whole
		// transaction is rolled back and replayed), so the statuses start afresh each run and are
		// only handed out after Batch reports the commit.
		statuses = make([]queue.EnqueueStatus, len(events))
		t := s.begin(tx)
		for i := range events {
			st, err := t.enqueue(&events[i], nowMs, idExpiry)
			if err != nil {
				return err
			}
			statuses[i] = st
		}
		return nil
	})
	if err != nil {
		return nil, unavailable("enqueue", err)
	}
	return statuses, nil
}

func (t *txn) enqueue(in *queue.Event, nowMs, idExpiry int64) (queue.EnqueueStatus, error) {
	// Compare at the millisecond the store keeps, as redisq does: an expiry with finer digits than
	// the stored one would otherwise count as a change of what to push at every repeat.
	ev := *in
	ev.OccurredAt, ev.ReceivedAt, ev.ExpiresAt = atMs(ev.OccurredAt), atMs(ev.ReceivedAt), atMs(ev.ExpiresAt)
	if ev.ID != "" {
		fresh, err := t.remember(ev.ID, ev.Number, nowMs, idExpiry)
		if err != nil || !fresh {
			return queue.Duplicate, err
		}
	}
	key := trailKey(ev.Number)
	st, err := t.state(ev.Number, key)
	if err != nil {
		return "", err
	}
	received(st, ev.ReceivedAt)
	rec := queue.Received(ev, time.Time{}) // record stamps it
	status := queue.Stale
	for _, d := range t.dests {
		if !ev.For(d.name) {
			continue
		}
		s, err := t.on(d).put(&ev, st, nowMs)
		if err != nil {
			return "", err
		}
		if s == queue.Created || (s == queue.Merged && status == queue.Stale) {
			status = s
		}
	}
	if status == queue.Stale {
		rec.Kind = queue.AuditStale
	}
	return status, t.record(key, st, rec)
}

// put queues ev for t's destination; st is the number's state.
func (t *txn) put(ev *queue.Event, st *numState, nowMs int64) (queue.EnqueueStatus, error) {
	r, err := t.get(ev.Number)
	if err != nil {
		return "", err
	}
	conf, err := t.destState(ev.Number, st)
	if err != nil {
		return "", err
	}
	// With nothing queued, an event that does not win over what the destination confirmed last
	// would only push that again, or undo a newer request: it is kept as evidence and nothing else.
	// A Resync (the destination lost the number) counts only while the confirmed state is still the
	// one reconcile saw.
	if r == nil && conf.ConfirmedAction != "" {
		stale := !queue.Wins(ev.OccurredAt, ev.Action, conf.ConfirmedOccur, conf.ConfirmedAction)
		if ev.Resync {
			stale = conf.ConfirmedAction != ev.Action || ms(conf.ConfirmedOccur) != ms(ev.OccurredAt)
		}
		if stale {
			return queue.Stale, nil
		}
	}
	if r == nil {
		r = &record{item: queue.NewItem(*ev)}
		// Due at first receipt: the line is ordered by when requests arrived.
		return queue.Created, t.move(r, stateReady, ms(r.item.FirstReceivedAt))
	}
	queue.Merge(&r.item, *ev)
	if r.state != stateDead {
		// Ready: its place in line is its first receipt, which a repeat does not change. Leased:
		// the merge stays in place and Ack sees the new Version if it changed what to push.
		return queue.Merged, t.save(r)
	}
	// A new request for a dead number is a new chance: fresh attempts, due now. Now and not at
	// FirstReceivedAt, which would put an entry that already failed ahead of everything that
	// waited behind it; FirstReceivedAt itself stays, because the compliance clock started with
	// the first request and a dead letter does not stop it.
	r.item.Attempts = 0
	return queue.Merged, t.move(r, stateReady, nowMs)
}
