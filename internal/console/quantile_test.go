package console

import (
	"math"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestQuantilesFromAHistogram registers the confirmation histogram and checks the quantiles
// against histogram_quantile's arithmetic: interpolation within a bucket, the +Inf bucket giving the
// highest finite bound, a destination with no observations absent.
func TestQuantilesFromAHistogram(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: ConfirmationHistogram,
		Buckets: []float64{1, 2, 5, 10}}, []string{"destination"})
	reg.MustRegister(h)
	cx := h.WithLabelValues("cxone")
	// Cumulative: le=1 50, le=2 90, le=5 99, le=10 99, +Inf 100.
	for range 50 {
		cx.Observe(0.5)
	}
	for range 40 {
		cx.Observe(1.5)
	}
	for range 9 {
		cx.Observe(3)
	}
	cx.Observe(20)
	h.WithLabelValues("genesys").Observe(7) // one observation, in (5, 10]
	h.WithLabelValues("webhook")            // a series without observations
	if got := quantiles(reg, ConfirmationHistogram, "destination", 0.99); len(got) != 2 {
		t.Fatalf("p99 of %v: want cxone and genesys only (webhook has no data)", got)
	}
	for _, c := range []struct {
		dest string
		q    float64
		want float64
	}{
		{"cxone", 0.5, 1},            // rank 50: the top of (0, 1]
		{"cxone", 0.95, 2 + 3*5.0/9}, // rank 95: 5 of the 9 in (2, 5]
		{"cxone", 0.99, 5},           // rank 99: the top of (2, 5]
		{"cxone", 0.995, 10},         // rank 99.5 is in +Inf: the highest finite bound
		{"genesys", 0.99, 5 + 5*0.99},
	} {
		got, ok := quantiles(reg, ConfirmationHistogram, "destination", c.q)[c.dest]
		if !ok || math.Abs(got-c.want) > 1e-9 {
			t.Errorf("%s q=%v: %v (%v), want %v", c.dest, c.q, got, ok, c.want)
		}
	}
	if got := quantiles(prometheus.NewRegistry(), ConfirmationHistogram, "destination", 0.99); len(got) != 0 {
		t.Fatalf("no histogram: %v, want nothing", got)
	}
}
