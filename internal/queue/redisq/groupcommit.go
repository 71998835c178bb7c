package redisq

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// Group commit: concurrent Enqueue calls share one script call, as the embedded store's callers
// share one fsync. Under load most of a single-event webhook's cost in Redis is the call itself (a
// round trip, the script's start, the reply), so sixty-four webhooks in one call cost Redis little
// more than one. No timer waits for a batch to fill: while callsInFlight calls run, new requests
// gather, and the next call takes them all. Each caller is answered only when the call holding its
// events has returned, so every 2xx still follows its own durable write.
const (
	callsInFlight = 2    // script calls at once: one running in Redis while the next is sent
	maxCallEvents = 1000 // events per call: one call must not hold Redis's only thread for long
	callTimeout   = 10 * time.Second
)

type enqueueGroup struct {
	mu       sync.Mutex
	inFlight int
	pending  []*enqueueCall // calls waiting for a turn, oldest first
}

// enqueueCall is one script call being gathered, then run.
type enqueueCall struct {
	reqs   []*enqueueReq
	events int
	done   chan struct{}
	res    []string
	err    error
}

type enqueueReq struct {
	ctx    context.Context
	events []queue.Event
	off    int // of this request's statuses in the call's answer; set when the call runs
	sent   bool
}

// enqueue queues events for the next call and waits for it.
func (s *Store) enqueue(ctx context.Context, events []queue.Event) ([]queue.EnqueueStatus, error) {
	g := s.group
	r := &enqueueReq{ctx: ctx, events: events}
	g.mu.Lock()
	var c *enqueueCall
	if n := len(g.pending); n > 0 && g.pending[n-1].events+len(events) <= maxCallEvents {
		c = g.pending[n-1]
	} else {
		c = &enqueueCall{done: make(chan struct{})}
		g.pending = append(g.pending, c)
	}
	c.reqs = append(c.reqs, r)
	c.events += len(events)
	var run *enqueueCall
	if g.inFlight < callsInFlight {
		run = g.take()
	}
	g.mu.Unlock()
	if run != nil {
		s.runCall(run) // in this caller's goroutine: no goroutine per request
	}
	select {
	case <-c.done:
	case <-ctx.Done():
		return nil, wrap("enqueue", ctx.Err())
	}
	if c.err != nil {
		return nil, c.err
	}
	if !r.sent {
		return nil, wrap("enqueue", context.DeadlineExceeded)
	}
	out := make([]queue.EnqueueStatus, len(events))
	for i := range out {
		out[i] = queue.EnqueueStatus(c.res[r.off+i])
	}
	return out, nil
}

// take removes the oldest pending call for running; g.mu is held.
func (g *enqueueGroup) take() *enqueueCall {
	c := g.pending[0]
	g.pending = g.pending[1:]
	g.inFlight++
	return c
}

// runCall runs c, then starts the next pending call, if any, on its own goroutine (one per call).
func (s *Store) runCall(c *enqueueCall) {
	c.res, c.err = s.callEnqueue(c)
	close(c.done)
	g := s.group
	g.mu.Lock()
	g.inFlight--
	var next *enqueueCall
	if len(g.pending) > 0 && g.inFlight < callsInFlight {
		next = g.take()
	}
	g.mu.Unlock()
	if next != nil {
		go s.runCall(next)
	}
}

// callEnqueue sends the events of every request still waiting in one script call.
func (s *Store) callEnqueue(c *enqueueCall) ([]string, error) {
	args := make([]any, 0, 4+3*len(s.dests)+10*c.events)
	now := s.now()
	// The call's event ids expire together: a TTL after its clock.
	args = append(args, s.prefix, ms(now.Add(s.ttl)), ms(now), len(s.dests))
	keys := make([]string, 0, 4*len(s.dests))
	for _, d := range s.dests {
		args = append(args, d.qp, d.sfx, d.name)
		keys = append(keys, d.ready, d.leased, d.dead, d.age)
	}
	n, names := 0, s.Destinations()
	for _, r := range c.reqs {
		if r.ctx.Err() != nil {
			continue // its caller gave up: 503, and nothing written for it
		}
		r.off, r.sent = n, true
		n += len(r.events)
		for i := range r.events {
			ev := &r.events[i]
			// What the script decides on, then the event as values it stores unread: for the entry,
			// and whole for the audit record.
			args = append(args, ev.ID, ev.Number, string(ev.Action), ms(ev.OccurredAt), ms(ev.ReceivedAt),
				strconv.FormatInt(ms(ev.ExpiresAt), 10), flag(ev.Resync), lanes(ev, names), entryValue(ev),
				queue.EventCodec.Encode(ev))
		}
	}
	if n == 0 {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	res, err := s.runDurable(ctx, enqueueScript, keys, args...).StringSlice()
	if err != nil {
		return nil, wrap("enqueue", err)
	}
	if len(res) != n {
		return nil, fmt.Errorf("redisq: enqueue: script answered %d statuses for %d events", len(res), n)
	}
	return res, nil
}

// entryValue is ev as an entry keeps it ("e"): without what the entry's own fields hold (action,
// occurredAt, expiry) and what an entry does not keep (queue.Item has no ID, ReceivedAt, Resync,
// Only or Repeats). Redis keeps a small hash compactly only while each value is at most 64 bytes
// (hash-max-listpack-value); a whole event is often more, and the entry would take twice the memory.
func entryValue(ev *queue.Event) []byte {
	e := *ev
	e.Action, e.OccurredAt, e.ExpiresAt = "", time.Time{}, time.Time{}
	e.ID, e.ReceivedAt, e.Resync, e.Only, e.Repeats = "", time.Time{}, false, "", 0
	return queue.EventCodec.Encode(&e)
}
