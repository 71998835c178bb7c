// Package destinationtest holds what the destinations' tests share.
package destinationtest

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
)

// Pacer lets every request through and records what a client told it: requests paced, answers
// timed (destination.AnswerTimer) and 429 reports. The pusher's real pacer is tested on its own.
type Pacer struct {
	// Advance, when set, is called with each 429 pause instead of sleeping: a simulator's clock.
	Advance func(time.Duration)

	mu        sync.Mutex
	waits     int
	answered  int
	throttled []time.Duration
}

var (
	_ destination.Pacer       = (*Pacer)(nil)
	_ destination.AnswerTimer = (*Pacer)(nil)
)

// Wait counts a request.
func (p *Pacer) Wait(ctx context.Context) error {
	p.mu.Lock()
	p.waits++
	p.mu.Unlock()
	return ctx.Err()
}

// Throttled records a 429 and returns the pause: the given one, at least a second.
func (p *Pacer) Throttled(_ context.Context, d time.Duration) time.Duration {
	p.mu.Lock()
	p.throttled = append(p.throttled, d)
	p.mu.Unlock()
	pause := max(d, time.Second)
	if p.Advance != nil {
		p.Advance(pause)
	}
	return pause
}

// OK does nothing.
func (p *Pacer) OK(context.Context) {}

// Answered counts an answer.
func (p *Pacer) Answered(context.Context, time.Time) {
	p.mu.Lock()
	p.answered++
	p.mu.Unlock()
}

// Counts returns the requests paced and the answers reported.
func (p *Pacer) Counts() (waits, answered int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.waits, p.answered
}

// Throttles returns the 429 pauses reported, in order.
func (p *Pacer) Throttles() []time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.throttled)
}
