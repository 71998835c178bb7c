package simfault

import (
	"context"
	"sync"
)

// Hold keeps requests waiting, unanswered, while it is closed, so that a test can stop a client
// while its request is provably in flight (a shutdown, a crash). Unlike the rest of the package
// it is safe for concurrent use: requests wait on it outside the simulator's lock.
type Hold struct {
	mu      sync.Mutex
	open    chan struct{} // closed while requests pass; nil: never closed
	arrived chan struct{} // closed once a request waits at the closed hold
}

// Close makes requests that reach Wait wait until Open. It returns a channel closed once one
// does.
func (h *Hold) Close() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.open == nil {
		h.open, h.arrived = make(chan struct{}), make(chan struct{})
	}
	return h.arrived
}

// Open lets every waiting request and every later one pass.
func (h *Hold) Open() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.open != nil {
		close(h.open)
		h.open = nil
	}
}

// Wait returns at once while the hold is open; while it is closed it waits until Open, and
// reports false if ctx ended first (the client went away).
func (h *Hold) Wait(ctx context.Context) bool {
	h.mu.Lock()
	open, arrived := h.open, h.arrived
	if open != nil {
		select {
		case <-arrived:
		default:
			close(arrived)
		}
	}
	h.mu.Unlock()
	if open == nil {
		return true
	}
	select {
	case <-open:
		return true
	case <-ctx.Done():
		return false
	}
}
