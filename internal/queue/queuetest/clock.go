package queuetest

import (
	"sync/atomic"
	"time"
)

// Clock is the clock the suite gives a store (its Options.Now): the wall clock plus what the test
// has advanced it by. A test that waits for a lease or a TTL to run out advances it instead of
// sleeping, so the wait is exact and costs nothing. It stays on the wall clock otherwise because
// the stores' records are checked against time.Now and against each other.
type Clock struct{ ahead atomic.Int64 }

// Now is the store's time: the wall clock plus what Advance added.
func (c *Clock) Now() time.Time { return time.Now().Add(time.Duration(c.ahead.Load())) }

// Advance moves the clock d ahead.
func (c *Clock) Advance(d time.Duration) { c.ahead.Add(int64(d)) }
