package pusher_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dncsync/dncsync/internal/pusher"
)

// Every lane registers its metrics on one registry: the histograms from receipt carry the label
// destination with one destination as with several.
func TestMetricsOfSeveralLanesShareARegistry(t *testing.T) {
	for _, names := range [][]string{{"cxone"}, {"cxone", "genesys", "webhook"}} {
		reg := prometheus.NewRegistry()
		for _, n := range names {
			m := pusher.NewMetrics(reg, n, len(names) > 1)
			m.Confirmed.Observe(0.003)
			m.Requested.Observe(0.002)
			m.Latency.Observe(0.003)
		}
		for _, n := range names {
			if got := observed(t, reg, pusher.ConfirmedMetric, n); got != 1 {
				t.Errorf("%v: %s{destination=%q} has %d observations, want 1", names, pusher.ConfirmedMetric, n, got)
			}
		}
	}
}
