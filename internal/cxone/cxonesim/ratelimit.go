package cxonesim

import (
	"time"

	"github.com/dncsync/dncsync/internal/simfault"
)

// RateShape is how the simulated organization's limit counts calls.
type RateShape int

const (
	// ShapeBucket is a token bucket: it starts full, refills continuously at PerMinute, and each
	// call spends one token. Burst 1 allows no two calls closer than 60s/PerMinute.
	ShapeBucket RateShape = iota
	// ShapeWindow is a fixed per-minute window: at most PerMinute calls in each minute of the
	// server's clock, the count starting over at each full minute.
	ShapeWindow
)

// RateLimit is the limit the simulator enforces per organization, which may be under what the
// client is configured with (an organization sharing its limit with other integrations). A call
// refused with 429 spends nothing, and its Retry-After is the wait until a call would be allowed
// (the bucket's next token, or the next window), in whole seconds rounded up, at least 1, as the
// vendor sends it; profiles that send no Retry-After still send none.
type RateLimit struct {
	Shape     RateShape
	PerMinute int // < 0: unlimited; 0 in Config: 100
	Burst     int // ShapeBucket's capacity; 0: PerMinute
}

// SetRateLimit replaces the limit (and its state: buckets start full, windows empty).
func (s *Server) SetRateLimit(rl RateLimit) {
	if rl.PerMinute == 0 {
		rl.PerMinute = 100
	}
	if rl.Burst <= 0 {
		rl.Burst = rl.PerMinute
	}
	s.mu.Lock()
	l := newLimiter(rl.PerMinute, rl.Burst)
	l.Shape = rl.Shape
	s.limiter = l
	s.mu.Unlock()
}

// limiter holds one token bucket (simfault's) or window per organization. Not goroutine-safe;
// the Server's lock guards it.
type limiter struct {
	RateLimit
	buckets *simfault.Limiter
	windows map[string]*minuteWindow
}

func newLimiter(perMinute, burst int) *limiter {
	return &limiter{RateLimit: RateLimit{PerMinute: perMinute, Burst: burst}, buckets: simfault.NewLimiter(perMinute, burst),
		windows: map[string]*minuteWindow{}}
}

// take spends one call for org. If none is available it reports how long until one is.
func (l *limiter) take(org string, now time.Time) (ok bool, wait time.Duration) {
	if l.PerMinute < 0 {
		return true, 0
	}
	if l.Shape == ShapeWindow {
		w := l.windows[org]
		if w == nil {
			w = &minuteWindow{limit: l.PerMinute}
			l.windows[org] = w
		}
		return w.take(now)
	}
	return l.buckets.Take(org, now)
}

// minuteWindow counts calls in the current minute of the clock.
type minuteWindow struct {
	limit int
	start time.Time // of the current minute
	calls int
}

func (w *minuteWindow) take(now time.Time) (bool, time.Duration) {
	if start := now.Truncate(time.Minute); start.After(w.start) {
		w.start, w.calls = start, 0
	}
	if w.calls < w.limit {
		w.calls++
		return true, 0
	}
	return false, w.start.Add(time.Minute).Sub(now)
}
