package gate

import "github.com/prometheus/client_golang/prometheus"

// Metrics count failed attempts by realm (Config.Realm).
type Metrics struct {
	Failures  *prometheus.CounterVec
	Throttled *prometheus.CounterVec
	Clients   *prometheus.GaugeVec
}

// NewMetrics creates the metrics and registers them on reg when it is not nil.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dncsync_auth_failures_total",
			Help: "Wrong secrets presented, by realm: admin (the /v1 API and the status page's login) or metrics.",
		}, []string{"realm"}),
		Throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dncsync_auth_throttled_total",
			Help: "Wrong secrets answered 429 because their client was backed off after repeated failures, by realm.",
		}, []string{"realm"}),
		Clients: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "dncsync_auth_failing_clients",
			Help: "Clients with a run of failed attempts remembered for the back-off, by realm (bounded).",
		}, []string{"realm"}),
	}
	if reg != nil {
		reg.MustRegister(m.Failures, m.Throttled, m.Clients)
	}
	return m
}
