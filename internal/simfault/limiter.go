package simfault

import (
	"math"
	"strconv"
	"time"
)

// Limiter holds one token bucket per key (an OAuth client, a sender).
type Limiter struct {
	perMinute int // < 0: unlimited
	burst     int
	buckets   map[string]*bucket
}

// NewLimiter allows perMinute requests per key sustained, burst at once; perMinute < 0 disables
// it.
func NewLimiter(perMinute, burst int) *Limiter {
	return &Limiter{perMinute: perMinute, burst: burst, buckets: map[string]*bucket{}}
}

// Take spends one request for key. If none is available it reports how long until one is.
func (l *Limiter) Take(key string, now time.Time) (ok bool, wait time.Duration) {
	if l.perMinute < 0 {
		return true, 0
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{perSecond: float64(l.perMinute) / 60, capacity: float64(l.burst), tokens: float64(l.burst), last: now}
		l.buckets[key] = b
	}
	return b.take(now)
}

// bucket starts full, refills continuously at perSecond up to capacity; each request spends one.
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

// RetryAfterSeconds renders a wait as Retry-After delta-seconds: rounded up, and at least 1 so
// that clients never spin.
func RetryAfterSeconds(d time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(d.Seconds()))))
}
