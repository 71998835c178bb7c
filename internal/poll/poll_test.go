package poll

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func TestUntil(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n atomic.Int32
		start := time.Now()
		if !Within(time.Second, func() bool { return n.Add(1) == 4 }) {
			t.Fatal("a condition that holds on the fourth check timed out")
		}
		if d := time.Since(start); d != 3*Every {
			t.Fatalf("held after %v, want three ticks (%v)", d, 3*Every)
		}
		start = time.Now()
		if Within(time.Second, func() bool { return false }) {
			t.Fatal("a condition that never holds held")
		}
		if d := time.Since(start); d != time.Second {
			t.Fatalf("gave up after %v, want the deadline", d)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if Until(ctx, func() bool { return false }) {
			t.Fatal("held with a cancelled context")
		}
	})
}

func TestUntilEvery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n atomic.Int32
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if !UntilEvery(ctx, time.Second, func() bool { return n.Add(1) == 3 }) {
			t.Fatal("a condition that holds on the third check timed out")
		}
		if d := time.Since(start); d != 2*time.Second {
			t.Fatalf("held after %v, want two ticks of a second", d)
		}
	})
}
