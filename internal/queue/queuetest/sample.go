package queuetest

import (
	"fmt"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// Sample returns n add events for distinct valid-looking US numbers, received a millisecond apart,
// for store tests and benchmarks.
func Sample(n int) []queue.Event {
	base := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	evs := make([]queue.Event, n)
	for i := range evs {
		at := base.Add(time.Duration(i) * time.Millisecond)
		num := fmt.Sprintf("+1415%07d", i%10_000_000)
		evs[i] = queue.Event{Number: num, Raw: num, Action: queue.Add, Source: "sample", OccurredAt: at, ReceivedAt: at}
	}
	return evs
}
