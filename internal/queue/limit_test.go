package queue_test

import (
	"testing"

	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/queuetest"
)

func TestLocalLimiter(t *testing.T) {
	queuetest.RunLimiter(t, func(*testing.T) queue.Limiter { return queue.NewLocalLimiter(nil) })
}
