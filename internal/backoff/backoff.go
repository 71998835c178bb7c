// Package backoff is the one back-off formula of dncsync: a wait that starts at a base and doubles
// with each attempt up to a cap, jittered where many waiters would otherwise come back in step.
package backoff

import (
	"math/rand/v2"
	"time"
)

// Exp is base doubled for each attempt after the first, capped at limit. attempt is 1-based; under
// 1 counts as 1.
func Exp(base, limit time.Duration, attempt int) time.Duration {
	attempt = max(attempt, 1)
	if base <= 0 {
		return 0
	}
	d := base
	for range min(attempt-1, 62) {
		if d >= limit || d > d<<1 {
			break
		}
		d <<= 1
	}
	return min(d, limit)
}

// Jittered is Exp spread over [d/2, d], so that replicas and items do not retry in step.
func Jittered(base, limit time.Duration, attempt int) time.Duration {
	return Jitter(Exp(base, limit, attempt))
}

// Jitter spreads d over [d/2, d].
func Jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}
