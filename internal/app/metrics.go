package app

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dncsync/dncsync/internal/queue"
)

// queueCollector reads the store's counts at scrape time, so the metrics are the store's truth
// across replicas rather than one process's view.
type queueCollector struct {
	q                   queue.Queue
	depth, oldest, dead *prometheus.Desc
}

func newQueueCollector(q queue.Queue) *queueCollector {
	return &queueCollector{q: q,
		depth:  prometheus.NewDesc("dncsync_queue_depth", "Numbers waiting for CXone (ready or in flight).", nil, nil),
		oldest: prometheus.NewDesc("dncsync_queue_oldest_age_seconds", "Age of the oldest request not yet confirmed by CXone: the compliance clock.", nil, nil),
		dead:   prometheus.NewDesc("dncsync_dead_letters", "Numbers dead-lettered, waiting for an operator.", nil, nil),
	}
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.depth
	ch <- c.oldest
	ch <- c.dead
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := c.q.Stats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.depth, err)
		return
	}
	age := 0.0
	if !st.OldestReceived.IsZero() {
		age = time.Since(st.OldestReceived).Seconds()
	}
	ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue, float64(st.Depth()))
	ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, age)
	ch <- prometheus.MustNewConstMetric(c.dead, prometheus.GaugeValue, float64(st.Dead))
}

// countingTransport counts CXone API requests by status ("error" when no answer came).
type countingTransport struct {
	next http.RoundTripper
	reqs *prometheus.CounterVec
}

func newCountingTransport(reg prometheus.Registerer) *countingTransport {
	c := &countingTransport{next: http.DefaultTransport, reqs: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dncsync_push_requests_total",
		Help: "HTTP requests to CXone by status code.",
	}, []string{"status"})}
	reg.MustRegister(c.reqs)
	return c
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(r)
	if err != nil {
		c.reqs.WithLabelValues("error").Inc()
		return nil, err
	}
	c.reqs.WithLabelValues(strconv.Itoa(resp.StatusCode)).Inc()
	return resp, nil
}
