package redisq

import (
	"context"
	"fmt"
	"strings"

	"github.com/dncsync/dncsync/internal/queue"
)

// Enqueue records a batch of events atomically, sharing a script call with concurrent callers
// (groupcommit.go).
func (s *Store) Enqueue(ctx context.Context, events []queue.Event) ([]queue.EnqueueStatus, error) {
	if len(events) == 0 {
		return nil, nil
	}
	for _, ev := range events {
		if err := ev.Validate(); err != nil {
			return nil, fmt.Errorf("redisq: enqueue: %w", err)
		}
		if err := ev.CheckLanes(s.Destinations()); err != nil {
			return nil, fmt.Errorf("redisq: enqueue: %w", err)
		}
	}
	return s.enqueue(ctx, events)
}

// lanes is the script's argument of the destinations ev is queued for: "" for every one, else
// each name between commas (",cxone,genesys,"; "," for none), which names cannot contain.
func lanes(ev *queue.Event, dests []string) string {
	if ev.Only == "" && ev.Lanes == nil {
		return ""
	}
	var b strings.Builder
	b.WriteByte(',')
	for _, d := range dests {
		if ev.For(d) {
			b.WriteString(d)
			b.WriteByte(',')
		}
	}
	return b.String()
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
