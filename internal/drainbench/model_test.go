//go:build drainbench

package drainbench

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/dncsync/dncsync/internal/pusher"
	"github.com/dncsync/dncsync/internal/queue"
)

// TestDrainModel is issue 16's 12-s drain as a model, on testing/synctest's clock: the pusher's
// Pacer (two batches in flight, as the pusher has) against a bucket of one at 900 requests a
// minute configured at 1,200, 180 batches of 50, each request arriving 1 ms after its turn plus a
// random delay of up to $MODEL_JITTER_MS (default 0), answered 4 ms later; a 429 carries the
// bucket's wait in whole seconds, rounded up. Without the machine's noise it shows what the pace
// itself costs. $MODEL_REPLICAS (default 1) pacers share one limiter, as replicas share Redis's,
// each starting 100 ms after the one before. It asserts nothing about speed; it reports (run it
// with -v):
//
//	go test -tags drainbench -run TestDrainModel -v ./internal/drainbench/
func TestDrainModel(t *testing.T) {
	jitter := 0.0
	if v := os.Getenv("MODEL_JITTER_MS"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 {
			t.Fatalf("MODEL_JITTER_MS=%q", v)
		}
		jitter = f
	}
	replicas := 1
	if v := os.Getenv("MODEL_REPLICAS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("MODEL_REPLICAS=%q", v)
		}
		replicas = n
	}
	const runs, batches, limitRPM = 20, 180, 900
	var shares []float64
	throttled := 0
	for seed := range runs {
		synctest.Test(t, func(t *testing.T) {
			share, n, pace := modelDrain(uint64(seed), jitter, replicas, batches, limitRPM)
			shares = append(shares, share)
			throttled += n
			if seed == 0 {
				t.Logf("run 1: %.1f%% of the true cap, %d 429s, final pace %.0f", share, n, pace)
			}
		})
	}
	slices.Sort(shares)
	t.Logf("%d replica(s), jitter up to %v ms, %d runs: of the true cap min %.1f%%, median %.1f%%, max %.1f%%; %d 429s in all",
		replicas, jitter, runs, shares[0], shares[runs/2], shares[runs-1], throttled)
}

// modelDrain drains batches through fresh Pacers (one a replica, sharing a limiter) against a
// bucket of one at limitRPM; it returns the share of the true cap (first answer listed to last),
// the 429s, and the pace at the end.
func modelDrain(seed uint64, jitterMS float64, replicas, batches, limitRPM int) (share float64, throttled int, pace float64) {
	rng := rand.New(rand.NewPCG(seed, 16))
	lim := queue.NewLocalLimiter(nil)
	pacers := make([]*pusher.Pacer, replicas)
	for i := range pacers {
		pacers[i] = pusher.NewPacerWith(pusher.PacerConfig{RPM: 1200, Limiter: lim})
	}
	ctx := context.Background()
	interval := time.Minute / time.Duration(limitRPM)
	var mu sync.Mutex
	var last, first, end time.Time // the bucket's last accepted arrival; the first and last listing
	sent := 0
	var wg sync.WaitGroup
	for w := range 2 * replicas {
		p := pacers[w/2]
		wg.Go(func() {
			time.Sleep(time.Duration(w/2) * 100 * time.Millisecond) // synctest's clock: the replicas start 100 ms apart
			for {
				mu.Lock()
				if sent >= batches {
					mu.Unlock()
					return
				}
				sent++
				delay := time.Millisecond + time.Duration(rng.Float64()*jitterMS*float64(time.Millisecond))
				mu.Unlock()
				if err := p.Wait(ctx); err != nil {
					return
				}
				let := time.Now()
				time.Sleep(delay) // synctest's clock: the request's trip, on the bubble's fake time
				mu.Lock()
				now := time.Now()
				ok := last.IsZero() || now.Sub(last) >= interval
				var retryAfter time.Duration
				if ok {
					last = now
				} else {
					retryAfter = time.Duration(math.Ceil(last.Add(interval).Sub(now).Seconds())) * time.Second
					sent--
					throttled++
				}
				mu.Unlock()
				time.Sleep(4 * time.Millisecond) // synctest's clock: the answer's trip back, on the bubble's fake time
				p.Answered(ctx, let)
				if !ok {
					p.Throttled(ctx, retryAfter)
					continue
				}
				p.OK(ctx)
				mu.Lock()
				if first.IsZero() {
					first = time.Now()
				}
				end = time.Now()
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	capRate := float64(limitRPM) / 60 * BatchSize
	return 100 * float64(batches*BatchSize) / end.Sub(first).Seconds() / capRate, throttled, pacers[0].CurrentRPM()
}
