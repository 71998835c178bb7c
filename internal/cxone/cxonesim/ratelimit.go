package cxonesim

import (
	"math"
	"strconv"
	"time"
)

// limiter holds one token bucket per organization. Not goroutine-safe; the
// Server's lock guards it.
type limiter struct {
	perMinute int // < 0: unlimited
	burst     int
	buckets   map[string]*bucket
}

func newLimiter(perMinute, burst int) *limiter {
	return &limiter{perMinute: perMinute, burst: burst, buckets: map[string]*bucket{}}
}

// take spends one call for org. If none is available it reports how long
// until one is.
func (l *limiter) take(org string, now time.Time) (ok bool, wait time.Duration) {
	if l.perMinute < 0 {
		return true, 0
	}
	b := l.buckets[org]
	if b == nil {
		b = &bucket{perSecond: float64(l.perMinute) / 60, capacity: float64(l.burst), tokens: float64(l.burst), last: now}
		l.buckets[org] = b
	}
	return b.take(now)
}

// bucket is a classic token bucket: it starts full, refills continuously at
// perSecond up to capacity, and each call spends one token.
type bucket struct {
	perSecond float64
	capacity  float64
	tokens    float64
	last      time.Time
}

func (b *bucket) take(now time.Time) (bool, time.Duration) {
	if elapsed := now.Sub(b.last); elapsed > 0 { // ignore a clock stepping back
		b.tokens = min(b.capacity, b.tokens+elapsed.Seconds()*b.perSecond)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / b.perSecond * float64(time.Second))
}

// retryAfterSeconds renders a wait as the Retry-After delta-seconds the
// vendor sends: rounded up, and at least 1 so clients never spin.
func retryAfterSeconds(d time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(d.Seconds()))))
}
