package gate

import (
	"sync"
	"time"
)

// overflow is the record every client shares once the table is full.
const overflow = "(overflow)"

// clients remembers each client's run of failures, bounded in number.
type clients struct {
	mu        sync.Mutex
	m         map[string]*record
	max       int
	free      int
	first     time.Duration
	most      time.Duration
	forget    time.Duration
	lastSweep time.Time
}

type record struct {
	fails int       // failures in a row
	last  time.Time // of the last failure
	until time.Time // backed off until then
}

// failure is what fail says of one failure.
type failure struct {
	key       string    // the record it counted in: the client, or overflow
	fails     int       // the run, with this one
	backedOff bool      // the client was backed off when it came
	until     time.Time // backed off until then (zero: not)
	tracked   int       // clients remembered
}

func (c *clients) stale(r *record, now time.Time) bool {
	return now.Sub(r.last) >= c.forget && !now.Before(r.until)
}

func (c *clients) fail(key string, now time.Time) failure {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.m[key]
	if r == nil {
		if len(c.m) >= c.max && now.Sub(c.lastSweep) >= time.Second {
			c.sweep(now)
		}
		if len(c.m) >= c.max {
			key = overflow
			r = c.m[key]
		}
		if r == nil {
			r = &record{}
			c.m[key] = r
		}
	}
	if c.stale(r, now) {
		*r = record{}
	}
	f := failure{key: key, backedOff: now.Before(r.until)}
	r.fails++
	r.last = now
	if r.fails >= c.free {
		d := c.most
		if n := r.fails - c.free; n < 30 && c.first<<n < c.most {
			d = c.first << n
		}
		r.until = now.Add(d)
	}
	f.fails, f.until, f.tracked = r.fails, r.until, len(c.m)
	return f
}

// succeed ends the client's run (the right secret) and returns how many clients are remembered,
// or -1 when the client had none.
func (c *clients) succeed(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[key]; !ok {
		return -1
	}
	delete(c.m, key)
	return len(c.m)
}

// sweep forgets stale clients; at most once a second (fail), so that a flood of new addresses
// against a full table does not make every request scan it.
func (c *clients) sweep(now time.Time) {
	c.lastSweep = now
	for k, r := range c.m {
		if c.stale(r, now) {
			delete(c.m, k)
		}
	}
}

func (c *clients) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
