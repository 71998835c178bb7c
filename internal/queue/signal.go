package queue

import "context"

// Signal wakes a waiting pusher when work is enqueued in this process, so the drain does not poll.
// Sends never block: one pending wake-up stands for any number of enqueues.
type Signal struct{ ch chan struct{} }

// NewSignal returns a ready Signal.
func NewSignal() *Signal { return &Signal{ch: make(chan struct{}, 1)} }

// Notify records a wake-up.
func (s *Signal) Notify() {
	select {
	case s.ch <- struct{}{}:
	default:
	}
}

// C receives after Notify.
func (s *Signal) C() <-chan struct{} { return s.ch }

// Signaling wraps q so that every successful Enqueue notifies each of s (one per destination's
// pusher).
func Signaling(q Queue, s ...*Signal) Queue { return signaling{Queue: q, s: s} }

type signaling struct {
	Queue
	s []*Signal
}

func (q signaling) Enqueue(ctx context.Context, events []Event) ([]EnqueueStatus, error) {
	st, err := q.Queue.Enqueue(ctx, events)
	if err == nil {
		for _, s := range q.s {
			s.Notify()
		}
	}
	return st, err
}
