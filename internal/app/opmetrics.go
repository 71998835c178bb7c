package app

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dncsync/dncsync/internal/ops"
)

// opsCollector exports what the alert rules in deploy/prometheus watch beyond the queue's counts:
// the compliance clock in business days, the last confirmation, and the pacer's state.
type opsCollector struct {
	s      ops.StatusStore
	pacing ops.Pacing
	now    func() time.Time

	businessDays, due, lastPush, rpm, paused, pauseLeft *prometheus.Desc
}

func newOpsCollector(s ops.StatusStore, pacing ops.Pacing) *opsCollector {
	return &opsCollector{s: s, pacing: pacing, now: time.Now,
		businessDays: prometheus.NewDesc("dncsync_queue_oldest_business_days",
			"Business days (Monday to Friday but US federal holidays, UTC dates) since the oldest request the destination has not yet confirmed; the deadline is 10.", nil, nil),
		due: prometheus.NewDesc("dncsync_queue_oldest_due_timestamp_seconds",
			"Unix time when the oldest request the destination has not yet confirmed runs out of its 10 business days; absent: nothing waits.", nil, nil),
		lastPush: prometheus.NewDesc("dncsync_last_push_timestamp_seconds",
			"Unix time of the destination's last confirmation of a push (any replica); 0: never.", nil, nil),
		rpm:       prometheus.NewDesc("dncsync_pacing_rpm", "Requests a minute the pusher sends to the destination now.", nil, nil),
		paused:    prometheus.NewDesc("dncsync_pacing_paused", "1 while requests to the destination are paused after a 429, else 0.", nil, nil),
		pauseLeft: prometheus.NewDesc("dncsync_pacing_pause_seconds", "Seconds left of the current 429 pause; 0: none.", nil, nil),
	}
}

func (c *opsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.businessDays, c.due, c.lastPush, c.rpm, c.paused, c.pauseLeft} {
		ch <- d
	}
}

func (c *opsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	now := c.now()
	if st, err := ops.ReadStatus(ctx, c.s, nil, now); err != nil {
		ch <- prometheus.NewInvalidMetric(c.businessDays, err)
	} else {
		ch <- prometheus.MustNewConstMetric(c.businessDays, prometheus.GaugeValue, float64(st.OldestUnsyncedBusinessDays))
		if st.OldestUnsyncedDueBy != nil {
			ch <- prometheus.MustNewConstMetric(c.due, prometheus.GaugeValue, float64(st.OldestUnsyncedDueBy.Unix()))
		}
		last := 0.0
		if st.LastPushAt != nil {
			last = float64(st.LastPushAt.UnixMilli()) / 1000
		}
		ch <- prometheus.MustNewConstMetric(c.lastPush, prometheus.GaugeValue, last)
	}
	if c.pacing == nil {
		return
	}
	paused, left := 0.0, 0.0
	if u := c.pacing.PausedUntil(); u.After(now) {
		paused, left = 1, u.Sub(now).Seconds()
	}
	ch <- prometheus.MustNewConstMetric(c.rpm, prometheus.GaugeValue, c.pacing.CurrentRPM())
	ch <- prometheus.MustNewConstMetric(c.paused, prometheus.GaugeValue, paused)
	ch <- prometheus.MustNewConstMetric(c.pauseLeft, prometheus.GaugeValue, left)
}
