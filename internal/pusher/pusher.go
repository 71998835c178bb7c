// Package pusher drains one destination's queue into it: claim a batch, push it, then ack, retry
// or dead-letter each item by what the destination answered for it. It is the only writer to a
// destination.
package pusher

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dncsync/dncsync/internal/backoff"
	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/queue"
)

// Config tunes the drain. Zero values take the defaults in withDefaults.
type Config struct {
	BatchSize int           // numbers per request (DNCSYNC_BATCH_SIZE)
	Linger    time.Duration // longest wait for a batch to fill (DNCSYNC_BATCH_LINGER)
	// InFlight is how many batches are pushed at once (2 by default). One is collected at a time
	// and the pacer still spaces every request; a second batch in flight lets one be settled (its
	// acks written) and the next claimed while the other waits for its turn, so the store's writes
	// do not stretch the interval between requests.
	InFlight int
	// Lease is how long a claim holds without a heartbeat: a batch whose pusher died is pushed
	// again about this long after (DNCSYNC_LEASE). While a push is in flight its leases are
	// extended every Lease/3.
	Lease       time.Duration
	MaxAttempts int // DNCSYNC_MAX_ATTEMPTS
	// MaxLostLeases dead-letters a number whose leases ran out this often: its pusher kept dying
	// while it held it (DNCSYNC_MAX_LOST_LEASES).
	MaxLostLeases int
	Backoff       func(attempt int) time.Duration
	RecoverEvery  time.Duration // how often expired leases are looked for
	// ConfigWait is how long items wait after a failure that is the deployment's, not theirs
	// (credentials, scopes, list id), before they are tried again without spending an attempt.
	ConfigWait time.Duration
	// OutageMax caps the pause after batches the destination took nothing of (1 s doubling); default a minute.
	OutageMax time.Duration
	// IdleCheck bounds the sleep when idle: other replicas' enqueues do not wake this process.
	IdleCheck    time.Duration
	DrainTimeout time.Duration // how long shutdown lets the in-flight batch finish
	Logger       *slog.Logger
	Metrics      *Metrics
	// OnSynced, if set, is told of each item the destination confirmed (the demo logs them).
	OnSynced func(it queue.Item, at time.Time)
}

// DefaultConfigWait is Config.ConfigWait's default (DNCSYNC_CONFIG_WAIT).
const DefaultConfigWait = time.Minute

func (c Config) withDefaults() Config {
	if c.BatchSize <= 0 {
		c.BatchSize = 50
	}
	if c.InFlight <= 0 {
		c.InFlight = 2
	}
	if c.Linger <= 0 {
		c.Linger = 250 * time.Millisecond
	}
	if c.Lease <= 0 {
		c.Lease = 30 * time.Second
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 12
	}
	if c.MaxLostLeases <= 0 {
		c.MaxLostLeases = 5
	}
	if c.Backoff == nil {
		c.Backoff = Backoff
	}
	if c.RecoverEvery <= 0 {
		// Often enough that a dead pusher's batch waits little past its lease; one cheap query.
		c.RecoverEvery = min(max(c.Lease/10, time.Second), 10*time.Second)
	}
	if c.ConfigWait <= 0 {
		c.ConfigWait = DefaultConfigWait
	}
	if c.OutageMax <= 0 {
		c.OutageMax = time.Minute
	}
	if c.IdleCheck <= 0 {
		c.IdleCheck = time.Second
	}
	if c.DrainTimeout <= 0 {
		c.DrainTimeout = 30 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Metrics == nil {
		c.Metrics = NewMetrics(nil, "", false)
	}
	return c
}

// Pusher moves queue items to their destination.
type Pusher struct {
	cfg   Config
	q     Queue
	c     destination.Client
	pacer *Pacer
	wake  <-chan struct{}
	log   *slog.Logger
	// failing counts batches in a row of which the destination took nothing: an outage. While it lasts,
	// transient failures spend no attempts, so that an outage of any length dead-letters nothing.
	failing atomic.Int64
	// collecting lets one batch be collected at a time, so that batches in flight do not split
	// a trickle of work into half-full requests.
	collecting sync.Mutex
	flight     flight // batches collected and not yet settled
	// outage holds every batch (unix ns) after one that the destination took nothing of.
	outage atomic.Int64
	// attr decides whether a refusal is the number's or the deployment's.
	attr destination.Attribution
}

// New returns a Pusher. wake receives when this process enqueued work (queue.Signal.C).
func New(q Queue, c destination.Client, pacer *Pacer, wake <-chan struct{}, cfg Config) *Pusher {
	cfg = cfg.withDefaults()
	return &Pusher{cfg: cfg, q: q, c: c, pacer: pacer, wake: wake, log: cfg.Logger}
}

// Run drains until ctx is done. The batch in flight then finishes (within DrainTimeout) and what was
// claimed but not pushed is released, so a restart loses nothing and waits for no lease. It returns
// once everything it started has returned, so the store may close then: no call to it is in flight.
func (p *Pusher) Run(ctx context.Context) error {
	stopRecover := start(ctx, p.recoverLoop)
	defer stopRecover()
	var wg sync.WaitGroup
	for range p.cfg.InFlight {
		wg.Go(func() { p.work(ctx) })
	}
	wg.Wait()
	return nil
}

// start runs loop in a goroutine of its own until ctx is done or the returned stop is called;
// stop cancels it and waits for it to return. Every background loop of the pusher runs this way.
func start(ctx context.Context, loop func(context.Context)) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { loop(ctx) })
	return func() {
		cancel()
		wg.Wait()
	}
}

// work is one batch in flight: collect, push, settle, again, until ctx is done.
func (p *Pusher) work(ctx context.Context) {
	storeDown, failed := 0, 0
	for {
		p.collecting.Lock()
		// After a batch the destination took nothing of, every batch in flight waits out the pause.
		_ = sleepUntil(ctx, time.Unix(0, p.outage.Load()))
		batch, claimedAt, err := p.collect(ctx)
		if len(batch) > 0 {
			p.flight.start()
		}
		p.collecting.Unlock()
		if len(batch) > 0 {
			// The push is cut when its leases can no longer be held (the heartbeat fails until
			// the lease is nearly out), and at the latest DrainTimeout after a stop signal; what
			// it cut short is snoozed without spending attempts.
			pctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
			stopDrain := context.AfterFunc(ctx, func() { time.AfterFunc(p.cfg.DrainTimeout, cancel) })
			stopHeartbeat := p.heartbeat(pctx, batch, claimedAt, cancel)
			healthy := true
			if ctx.Err() != nil {
				p.release(pctx, batch)
			} else {
				healthy = p.push(pctx, batch)
			}
			stopHeartbeat()
			stopDrain()
			cancel()
			p.flight.end()
			if healthy {
				failed = 0
			} else {
				// The destination took nothing. Once is a lost answer as often as not; a second batch in a row
				// (of this worker, and of all, since another batch in flight may have got through
				// meanwhile) is an outage: back off as a whole, longer with each.
				failed++
				if n := min(int64(failed), p.failing.Load()); n >= 2 {
					wait := backoff.Jittered(time.Second, p.cfg.OutageMax, int(n-1))
					p.log.Warn("the destination accepted nothing from the last batches; pausing", "pause", wait)
					until := time.Now().Add(wait).UnixNano()
					for cur := p.outage.Load(); until > cur && !p.outage.CompareAndSwap(cur, until); cur = p.outage.Load() {
					}
				}
			}
		}
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			storeDown++
			wait := backoff.Exp(time.Second, 30*time.Second, storeDown)
			p.log.Warn("queue store unavailable; pushing paused", "err", err, "retry_in", wait)
			_ = sleepUntil(ctx, time.Now().Add(wait))
			continue
		}
		storeDown = 0
	}
}

// release gives claimed items back without spending an attempt.
func (p *Pusher) release(ctx context.Context, batch []queue.Item) {
	for _, it := range batch {
		if err := p.q.Snooze(ctx, it, 0, "released at shutdown"); err != nil {
			p.log.Warn("release at shutdown failed; the lease will expire and recovery retries", "err", err)
			return
		}
	}
}

func (p *Pusher) recoverLoop(ctx context.Context) {
	t := time.NewTicker(p.cfg.RecoverEvery)
	defer t.Stop()
	for {
		n, err := p.q.Recover(ctx, p.cfg.MaxLostLeases)
		if err != nil && ctx.Err() == nil {
			p.log.Warn("recovering expired leases failed", "err", err)
		} else if n > 0 {
			p.log.Warn("recovered items whose pusher stopped", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Metrics are the pusher's Prometheus metrics.
type Metrics struct {
	Latency prometheus.Histogram
	Items   *prometheus.CounterVec
	// Confirmed is receipt (an item's FirstReceivedAt) to the destination's confirmation; the
	// status page reads its p99.
	Confirmed prometheus.Observer
	// Requested is receipt to the request that carried the number (its turn granted by the pacer).
	Requested prometheus.Observer
}

// Names of the histograms from receipt, which always carry the label destination.
const (
	ConfirmedMetric = "dncsync_receipt_to_confirmation_seconds"
	RequestedMetric = "dncsync_receipt_to_request_seconds"
)

// receiptBuckets run from a millisecond (an opt-out sent at once at light load) to an hour (one that
// waited out an outage).
var receiptBuckets = []float64{0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300,
	600, 1800, 3600}

// NewMetrics creates destination's pusher metrics and registers them on reg when it is not nil. The
// histograms from receipt always carry the label destination, so that one name serves every
// deployment; the others carry it when labelled (a deployment of several destinations), as every
// lane's metrics do.
func NewMetrics(reg prometheus.Registerer, destination string, labelled bool) *Metrics {
	dest := prometheus.Labels{"destination": destination}
	m := &Metrics{
		Latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "dncsync_sync_latency_seconds",
			Help:    "Time from first receipt of a request to the destination's confirmation.",
			Buckets: []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 6 * 3600, 86400},
		}),
		Items: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dncsync_pushed_items_total",
			Help: "Items the pusher settled, by outcome (synced, retry, snoozed, dead).",
		}, []string{"outcome"}),
	}
	confirmed := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:        ConfirmedMetric,
		Help:        "Time from an opt-out's first receipt to the destination's confirmation, by destination.",
		Buckets:     receiptBuckets,
		ConstLabels: dest,
	})
	requested := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:        RequestedMetric,
		Help:        "Time from an opt-out's first receipt to the destination's request that carried it (its turn granted), by destination.",
		Buckets:     receiptBuckets,
		ConstLabels: dest,
	})
	m.Confirmed, m.Requested = confirmed, requested
	if reg != nil {
		lane := reg
		if labelled {
			lane = prometheus.WrapRegistererWith(dest, reg)
		}
		lane.MustRegister(m.Latency, m.Items)
		reg.MustRegister(confirmed, requested)
	}
	return m
}

// RegisterPacerMetrics exports the ceiling the pace adapts under. The pace itself and the 429
// pause (CurrentRPM, PausedUntil) are exported with the operator metrics (dncsync_pacing_rpm,
// dncsync_pacing_paused, dncsync_pacing_pause_seconds), read at scrape time from the shared
// limiter when there is one, so every replica reports the same.
func RegisterPacerMetrics(reg prometheus.Registerer, p *Pacer) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "dncsync_pacing_ceiling_rpm",
		Help: "The configured ceiling of the pace of the destination's requests (its rate-limit setting).",
	}, p.CeilingRPM))
}
