package console

import (
	"math"
	"sort"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// ConfirmationHistogram is the histogram of the time from an opt-out's receipt to its destination's
// confirmation, with a destination label when several are configured; the page shows its p99.
const ConfirmationHistogram = "dncsync_receipt_to_confirmation_seconds"

// quantiles reads histogram name from g and returns its q-quantile per value of label ("" for
// series without it), as Prometheus's histogram_quantile computes it: linear interpolation within
// the bucket the rank falls in. A series with no observations has no entry.
func quantiles(g prometheus.Gatherer, name, label string, q float64) map[string]float64 {
	if g == nil {
		return nil
	}
	mfs, err := g.Gather()
	if err != nil && len(mfs) == 0 {
		return nil
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != name || mf.GetType() != dto.MetricType_HISTOGRAM {
			continue
		}
		for _, m := range mf.GetMetric() {
			key := ""
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label {
					key = lp.GetValue()
				}
			}
			if v, ok := histogramQuantile(q, m.GetHistogram()); ok {
				out[key] = v
			}
		}
	}
	return out
}

// histogramQuantile is the q-quantile of h, as histogram_quantile: the bucket whose cumulative
// count first reaches q of the total, interpolated linearly between its lower bound (the previous
// bucket's upper bound, or 0) and its upper bound; a rank in the +Inf bucket gives the highest
// finite bound. false when h has no observations.
func histogramQuantile(q float64, h *dto.Histogram) (float64, bool) {
	if h == nil || h.GetSampleCount() == 0 || math.IsNaN(q) {
		return 0, false
	}
	type bucket struct{ upper, count float64 }
	bs := make([]bucket, 0, len(h.GetBucket())+1)
	for _, b := range h.GetBucket() {
		bs = append(bs, bucket{b.GetUpperBound(), float64(b.GetCumulativeCount())})
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].upper < bs[j].upper })
	if len(bs) == 0 || !math.IsInf(bs[len(bs)-1].upper, 1) {
		// The client library leaves the +Inf bucket implicit: its count is the sample count.
		bs = append(bs, bucket{math.Inf(1), float64(h.GetSampleCount())})
	}
	switch {
	case q < 0:
		return math.Inf(-1), true
	case q > 1:
		return math.Inf(1), true
	}
	total := bs[len(bs)-1].count
	if total == 0 {
		return 0, false
	}
	rank := q * total
	i := sort.Search(len(bs), func(i int) bool { return bs[i].count >= rank })
	if i == len(bs)-1 {
		if len(bs) < 2 {
			return 0, false
		}
		return bs[len(bs)-2].upper, true
	}
	if i == 0 && bs[0].upper <= 0 {
		return bs[0].upper, true
	}
	lower, below := 0.0, 0.0
	if i > 0 {
		lower, below = bs[i-1].upper, bs[i-1].count
	}
	upper, in := bs[i].upper, bs[i].count-below
	if in == 0 {
		return upper, true
	}
	return lower + (upper-lower)*(rank-below)/in, true
}
