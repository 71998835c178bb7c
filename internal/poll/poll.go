// Package poll is the one wait of the tests and benchmarks for what they cannot be signalled of:
// another process (the binary, redis-server, a replica) or a server noticing something on its own
// goroutines. Everything else waits on a channel, the stores' clock or testing/synctest.
package poll

import (
	"context"
	"testing"
	"time"
)

// Every is how often a condition is checked: often enough that a wait ends soon after the
// condition holds, seldom enough not to load the machine the tests share.
const Every = 20 * time.Millisecond

// Until checks cond at once and then every Every until it holds (true) or ctx ends (false).
func Until(ctx context.Context, cond func() bool) bool { return UntilEvery(ctx, Every, cond) }

// UntilEvery is Until checking every every: for what changes on a slower tick of its own (a
// sampler's 30 s), where checking every Every would only load the machine.
func UntilEvery(ctx context.Context, every time.Duration, cond func() bool) bool {
	if cond() {
		return true
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return cond()
		case <-tick.C:
			if cond() {
				return true
			}
		}
	}
}

// Within is Until with a deadline d from now.
func Within(d time.Duration, cond func() bool) bool {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return Until(ctx, cond)
}

// For fails t unless cond holds within d, naming what it waited for.
func For(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	ForEvery(t, what, d, Every, cond)
}

// ForEvery is For checking every every (UntilEvery).
func ForEvery(t testing.TB, what string, d, every time.Duration, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if !UntilEvery(ctx, every, cond) {
		t.Fatalf("timed out after %v waiting for %s", d, what)
	}
}
