package pgq

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// Group commit: a webhook's enqueue waits for a commit, and a commit costs about the same for one
// event as for a hundred (the WAL flush). So concurrent Enqueue calls join the next transaction:
// while up to maxInFlight transactions run, callers queue up, and the next one takes every caller
// waiting (up to maxGroupEvents events). Each caller returns when the transaction holding its
// events committed, or fails with it.
const (
	maxInFlight    = 4
	maxGroupEvents = 2000
	// groupTimeout bounds one group's transaction: its callers' own deadlines cannot, since they
	// share it.
	groupTimeout = 30 * time.Second
)

type enqueueReq struct {
	events []queue.Event
	done   chan struct{}
	st     []queue.EnqueueStatus
	err    error
}

type committer struct {
	s        *Store
	mu       sync.Mutex
	pending  []*enqueueReq
	inFlight int
	closed   bool
}

func newCommitter(s *Store) *committer { return &committer{s: s} }

func (c *committer) enqueue(ctx context.Context, events []queue.Event) ([]queue.EnqueueStatus, error) {
	r := &enqueueReq{events: events, done: make(chan struct{})}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, unavailable("enqueue", fmt.Errorf("store closed"))
	}
	c.pending = append(c.pending, r)
	if c.inFlight < maxInFlight {
		c.inFlight++
		go c.run()
	}
	c.mu.Unlock()
	select {
	case <-r.done:
		return r.st, r.err
	case <-ctx.Done():
		// The group may still commit: what it wrote is what a retry by the sender writes again (an
		// event id makes it a duplicate; without one, a merged repeat), as with the other stores.
		return nil, fmt.Errorf("pgq: enqueue: %w", ctx.Err())
	}
}

// run commits groups until none is waiting.
func (c *committer) run() {
	for {
		c.mu.Lock()
		n, events := 0, 0
		for n < len(c.pending) && (n == 0 || events+len(c.pending[n].events) <= maxGroupEvents) {
			events += len(c.pending[n].events)
			n++
		}
		group := c.pending[:n:n]
		c.pending = c.pending[n:]
		if n == 0 {
			c.inFlight--
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		c.commit(group)
	}
}

func (c *committer) commit(group []*enqueueReq) {
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	batches := make([][]queue.Event, len(group))
	for i, r := range group {
		batches[i] = r.events
	}
	st, err := c.s.enqueueAll(ctx, batches)
	if err != nil && len(group) > 1 && isConflict(err) {
		st, err = c.s.enqueueAll(ctx, batches) // a deadlock or serialization failure: once more
	}
	for i, r := range group {
		if err != nil {
			r.err = unavailable("enqueue", err)
		} else {
			r.st = st[i]
		}
		close(r.done)
	}
}

func (c *committer) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
}
