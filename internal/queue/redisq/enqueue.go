package redisq

import (
	"context"
	"fmt"

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
		if ev.Only != "" {
			if _, err := s.DestStore(ev.Only); err != nil {
				return nil, fmt.Errorf("redisq: enqueue: %w", err)
			}
		}
	}
	return s.enqueue(ctx, events)
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
