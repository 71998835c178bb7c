package app

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dncsync/dncsync/internal/queue"
)

// rejectionCollector exports the store's rejection counters (queue.RejectionStats) at scrape time:
// the store's truth, shared by every replica on it, so alert rules take the max over instances.
// The rejection rate is rate() of recorded; shedding is the shed counter by reason.
type rejectionCollector struct {
	s queue.RejectionKeeper

	recorded, duplicates, shed, kept, capacity, fill *prometheus.Desc
}

func newRejectionCollector(s queue.RejectionKeeper) *rejectionCollector {
	return &rejectionCollector{s: s,
		recorded: prometheus.NewDesc("dncsync_rejections_recorded_total",
			"Rejected input recorded as evidence (any replica, any intake: webhooks and imports).", nil, nil),
		duplicates: prometheus.NewDesc("dncsync_rejections_duplicates_total",
			"Rejections not recorded because the same one (event id, text, key) is kept.", nil, nil),
		shed: prometheus.NewDesc("dncsync_rejections_shed_total",
			"Rejections dropped by reason: cap (the oldest, past DNCSYNC_REJECTION_CAP) or headroom (not written: the store was past DNCSYNC_REJECTION_MAX_FILL of its limit).",
			[]string{"reason"}, nil),
		kept:     prometheus.NewDesc("dncsync_rejections_kept", "Rejections held in the store.", nil, nil),
		capacity: prometheus.NewDesc("dncsync_rejections_cap", "Most rejections kept (DNCSYNC_REJECTION_CAP).", nil, nil),
		fill: prometheus.NewDesc("dncsync_store_fill_ratio",
			"Share of its limit the store uses (Redis: used_memory of maxmemory; embedded: its filesystem); absent when it has none.", nil, nil),
	}
}

func (c *rejectionCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.recorded, c.duplicates, c.shed, c.kept, c.capacity, c.fill} {
		ch <- d
	}
}

func (c *rejectionCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := c.s.RejectionStats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.recorded, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.recorded, prometheus.CounterValue, float64(st.Recorded))
	ch <- prometheus.MustNewConstMetric(c.duplicates, prometheus.CounterValue, float64(st.Duplicates))
	ch <- prometheus.MustNewConstMetric(c.shed, prometheus.CounterValue, float64(st.Shed), "cap")
	ch <- prometheus.MustNewConstMetric(c.shed, prometheus.CounterValue, float64(st.Skipped), "headroom")
	ch <- prometheus.MustNewConstMetric(c.kept, prometheus.GaugeValue, float64(st.Kept))
	ch <- prometheus.MustNewConstMetric(c.capacity, prometheus.GaugeValue, float64(st.Cap))
	if st.Fill >= 0 {
		ch <- prometheus.MustNewConstMetric(c.fill, prometheus.GaugeValue, st.Fill)
	}
}
