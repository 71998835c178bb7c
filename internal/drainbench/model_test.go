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
)

// TestDrainModel is issue 16's 12-s drain as a model, on testing/synctest's clock: the pusher's
// Pacer (two batches in flight, as the pusher has) against a bucket of one at 900 requests a
// minute configured at 1,200, 180 batches of 50, each request arriving 1 ms after its turn plus a
// random delay of up to $MODEL_JITTER_MS (default 0), answered 4 ms later; a 429 carries the
// bucket's wait in whole seconds, rounded up. Without the machine's noise it shows what the pace
// itself costs. It asserts nothing about speed; it reports (run it with -v):
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
	const runs, batches, limitRPM = 20, 180, 900
	var shares []float64
	throttled := 0
	for seed := range runs {
		synctest.Test(t, func(t *testing.T) {
			share, n, pace := modelDrain(uint64(seed), jitter, batches, limitRPM)
			shares = append(shares, share)
			throttled += n
			if seed == 0 {
				t.Logf("run 1: %.1f%% of the true cap, %d 429s, final pace %.0f", share, n, pace)
			}
		})
	}
	slices.Sort(shares)
	t.Logf("jitter up to %v ms, %d runs: of the true cap min %.1f%%, median %.1f%%, max %.1f%%; %d 429s in all",
		jitter, runs, shares[0], shares[runs/2], shares[runs-1], throttled)
}

// modelDrain drains batches through a fresh Pacer against a bucket of one at limitRPM; it returns
// the share of the true cap (first answer listed to last), the 429s, and the pace at the end.
func modelDrain(seed uint64, jitterMS float64, batches, limitRPM int) (share float64, throttled int, pace float64) {
	rng := rand.New(rand.NewPCG(seed, 16))
	p := pusher.NewPacer(1200)
	ctx := context.Background()
	interval := time.Minute / time.Duration(limitRPM)
	var mu sync.Mutex
	var last, first, end time.Time // the bucket's last accepted arrival; the first and last listing
	sent := 0
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
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
				time.Sleep(delay)
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
				time.Sleep(4 * time.Millisecond)
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
	return 100 * float64(batches*BatchSize) / end.Sub(first).Seconds() / capRate, throttled, p.CurrentRPM()
}
