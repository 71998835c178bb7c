package simfault

import (
	"maps"
	"time"
)

// window is the span MaxPerMinute measures, matching the vendors' per-minute limits.
const window = time.Minute

// Counter accounts for requests: answers by kind and status (0: the client got no answer), faults
// that took effect, and the busiest minute.
type Counter struct {
	Requests       map[string]map[int]int `json:"requests"`
	FaultsInjected map[string]int         `json:"faultsInjected"`
	// MaxPerMinute is the most requests subject to the rate limit received in any 60-second
	// window, rejected ones included, so that tests can assert a client's pacing.
	MaxPerMinute int `json:"maxPerMinute"`

	recent []time.Time
}

// NewCounter returns an empty counter.
func NewCounter() Counter {
	return Counter{Requests: map[string]map[int]int{}, FaultsInjected: map[string]int{}}
}

// Record counts an answer of status to a request of kind.
func (c *Counter) Record(kind string, status int) {
	m := c.Requests[kind]
	if m == nil {
		m = map[int]int{}
		c.Requests[kind] = m
	}
	m[status]++
}

// Fault counts a fault of kind that took effect.
func (c *Counter) Fault(kind string) { c.FaultsInjected[kind]++ }

// Observe notes a request arriving at now. The busiest window always ends at some arrival, so
// checking the window ending at each arrival finds it.
func (c *Counter) Observe(now time.Time) {
	cut := 0
	for cut < len(c.recent) && !c.recent[cut].After(now.Add(-window)) {
		cut++
	}
	c.recent = append(c.recent[cut:], now)
	c.MaxPerMinute = max(c.MaxPerMinute, len(c.recent))
}

// Snapshot is a deep copy that shares nothing with c.
func (c *Counter) Snapshot() Counter {
	out := Counter{Requests: make(map[string]map[int]int, len(c.Requests)), FaultsInjected: maps.Clone(c.FaultsInjected),
		MaxPerMinute: c.MaxPerMinute}
	for k, m := range c.Requests {
		out.Requests[k] = maps.Clone(m)
	}
	return out
}
