package backoff_test

import (
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/backoff"
)

func TestExp(t *testing.T) {
	for _, tc := range []struct {
		base, limit time.Duration
		attempt     int
		want        time.Duration
	}{
		{time.Second, time.Minute, 0, time.Second},
		{time.Second, time.Minute, 1, time.Second},
		{time.Second, time.Minute, 2, 2 * time.Second},
		{time.Second, time.Minute, 6, 32 * time.Second},
		{time.Second, time.Minute, 7, time.Minute},
		{time.Second, time.Minute, 1000, time.Minute},
		{10 * time.Second, time.Hour, 12, time.Hour},
		{time.Hour, time.Duration(1<<63 - 1), 200, 0}, // checked for overflow below
	} {
		if tc.attempt == 200 {
			if got := backoff.Exp(tc.base, tc.limit, tc.attempt); got <= 0 {
				t.Errorf("Exp(%v, max, 200) = %v: overflowed", tc.base, got)
			}
			continue
		}
		if got := backoff.Exp(tc.base, tc.limit, tc.attempt); got != tc.want {
			t.Errorf("Exp(%v, %v, %d) = %v, want %v", tc.base, tc.limit, tc.attempt, got, tc.want)
		}
	}
}

func TestJitteredStaysInHalfToWhole(t *testing.T) {
	for attempt := 1; attempt <= 10; attempt++ {
		d := backoff.Exp(100*time.Millisecond, 10*time.Second, attempt)
		for range 100 {
			if j := backoff.Jittered(100*time.Millisecond, 10*time.Second, attempt); j < d/2 || j > d {
				t.Fatalf("attempt %d: %v outside [%v, %v]", attempt, j, d/2, d)
			}
		}
	}
}
