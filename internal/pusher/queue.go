package pusher

import (
	"context"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// Queue is what the pusher calls of its destination's queue (queue.Queue documents each).
type Queue interface {
	Claim(ctx context.Context, max int, lease time.Duration) ([]queue.Item, error)
	Ack(ctx context.Context, items []queue.Item) error
	Extend(ctx context.Context, items []queue.Item, lease time.Duration) (int, error)
	Retry(ctx context.Context, item queue.Item, delay time.Duration, errMsg string) error
	Snooze(ctx context.Context, item queue.Item, delay time.Duration, errMsg string) error
	DeadLetter(ctx context.Context, item queue.Item, errMsg string) error
	Recover(ctx context.Context, maxLost int) (int, error)
	NextDue(ctx context.Context) (due time.Time, ok bool, err error)
}
