package boltq

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

func TestProbe(t *testing.T) {
	g, _ := strconv.Atoi(os.Getenv("G"))
	per, _ := strconv.Atoi(os.Getenv("PER"))
	total, _ := strconv.Atoi(os.Getenv("TOTAL"))
	if g == 0 {
		t.Skip()
	}
	s, _ := Open(filepath.Join(t.TempDir(), "q.db"), Options{})
	defer s.Close()
	if d := os.Getenv("DELAY"); d != "" {
		s.db.MaxBatchDelay, _ = time.ParseDuration(d)
	}
	var seq atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range g {
		wg.Go(func() {
			evs := make([]queue.Event, per)
			for seq.Load() < int64(total) {
				now := time.Now()
				for i := range evs {
					evs[i] = benchEvent(seq.Add(1), now)
				}
				if _, err := s.Enqueue(context.Background(), evs); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	el := time.Since(start)
	st := s.db.Stats()
	fi, _ := os.Stat(s.db.Path())
	t.Logf("g=%d per=%d: %d events in %v = %.0f ev/s; commits %d, write %v (%d pages), spill %v, rebalance %v; file %d MB; avg batch %.1f events",
		g, per, seq.Load(), el, float64(seq.Load())/el.Seconds(), st.TxStats.GetWrite(), st.TxStats.GetWriteTime(), st.TxStats.GetWrite(), st.TxStats.GetSpillTime(), st.TxStats.GetRebalanceTime(), fi.Size()>>20, float64(seq.Load())/float64(st.TxN))
}
