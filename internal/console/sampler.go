package console

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dncsync/dncsync/internal/queue"
)

// Sample is the queue and the running totals at one moment.
type Sample struct {
	At       time.Time
	Depth    int64
	Accepted float64 // intake: events accepted so far by this process
	Synced   float64 // drain: items the destinations confirmed so far through this process
	// SyncedBy is Synced by destination (its metric label; "" with one destination).
	SyncedBy map[string]float64
}

// Sampler keeps the last hour of samples (one every Every) for the page's chart. The totals come
// from the process's Prometheus registry, so the chart shows this process's intake and drain; the
// depth is the store's, shared by every replica.
type Sampler struct {
	Stats    func(context.Context) (queue.Stats, error)
	Gatherer prometheus.Gatherer
	Every    time.Duration // default 30s
	Keep     time.Duration // default 1h

	mu      sync.Mutex
	samples []Sample
}

// Run samples until ctx is done.
func (s *Sampler) Run(ctx context.Context) {
	every := s.every()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		s.SampleNow(ctx, time.Now())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Sampler) every() time.Duration {
	if s.Every <= 0 {
		return 30 * time.Second
	}
	return s.Every
}

// SampleNow takes one sample at now. A store that cannot be read leaves a gap, not a zero.
func (s *Sampler) SampleNow(ctx context.Context, now time.Time) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	st, err := s.Stats(ctx)
	if err != nil {
		return
	}
	smp := Sample{At: now, Depth: st.Depth()}
	if s.Gatherer != nil {
		smp.Accepted = counter(s.Gatherer, "dncsync_webhooks_total", "result", "accepted")
		smp.SyncedBy = counterBy(s.Gatherer, "dncsync_pushed_items_total", "outcome", "synced", "destination")
		for _, v := range smp.SyncedBy {
			smp.Synced += v
		}
	}
	keep := s.Keep
	if keep <= 0 {
		keep = time.Hour
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.samples = append(s.samples, smp)
	cut := 0
	for cut < len(s.samples) && now.Sub(s.samples[cut].At) > keep {
		cut++
	}
	s.samples = append(s.samples[:0], s.samples[cut:]...)
}

// Samples returns a copy of the samples, oldest first.
func (s *Sampler) Samples() []Sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sample(nil), s.samples...)
}

// counter sums the counter name's series whose label has value.
func counter(g prometheus.Gatherer, name, label, value string) float64 {
	total := 0.0
	for _, v := range counterBy(g, name, label, value, "") {
		total += v
	}
	return total
}

// counterBy sums the counter name's series whose label has value, by their label by ("" for
// series without it, or for by "").
func counterBy(g prometheus.Gatherer, name, label, value, by string) map[string]float64 {
	mfs, err := g.Gather()
	if err != nil && len(mfs) == 0 {
		return nil
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			match, key := false, ""
			for _, lp := range m.GetLabel() {
				switch {
				case lp.GetName() == label && lp.GetValue() == value:
					match = true
				case by != "" && lp.GetName() == by:
					key = lp.GetValue()
				}
			}
			if match {
				out[key] += m.GetCounter().GetValue()
			}
		}
	}
	return out
}
