package redisq

import (
	"context"
	"fmt"
	"strconv"

	"github.com/dncsync/dncsync/internal/queue"
)

// Enqueue records a batch of events in one script call: atomic, and one round trip per webhook.
func (s *Store) Enqueue(ctx context.Context, events []queue.Event) ([]queue.EnqueueStatus, error) {
	if len(events) == 0 {
		return nil, nil
	}
	args := make([]any, 0, 3+12*len(events))
	args = append(args, s.prefix, s.ttl.Milliseconds(), ms(s.now()))
	for _, ev := range events {
		if err := ev.Validate(); err != nil {
			return nil, fmt.Errorf("redisq: enqueue: %w", err)
		}
		args = append(args, ev.ID, ev.Number, string(ev.Action), ev.Raw, ev.Source, ev.Channel, ev.Reason,
			ev.Scope, ms(ev.OccurredAt), ms(ev.ReceivedAt), strconv.FormatInt(ms(ev.ExpiresAt), 10), flag(ev.Resync))
	}
	res, err := enqueueScript.Run(ctx, s.rdb, []string{s.ready, s.leased, s.dead, s.age}, args...).StringSlice()
	if err != nil {
		return nil, wrap("enqueue", err)
	}
	if len(res) != len(events) {
		return nil, fmt.Errorf("redisq: enqueue: script answered %d statuses for %d events", len(res), len(events))
	}
	out := make([]queue.EnqueueStatus, len(res))
	for i, r := range res {
		out[i] = queue.EnqueueStatus(r)
	}
	return out, nil
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
