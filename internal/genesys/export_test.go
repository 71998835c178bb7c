package genesys

import "time"

// NewWithClock is New with another clock (for expiries and Retry-After dates), for tests.
func NewWithClock(cfg Config, now func() time.Time) *Client {
	c := New(cfg)
	c.now = now
	return c
}
