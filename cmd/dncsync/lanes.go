package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dncsync/dncsync/internal/console"
	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/genesys"
	"github.com/dncsync/dncsync/internal/lookup"
	"github.com/dncsync/dncsync/internal/pusher"
	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/reconcile"
	"github.com/dncsync/dncsync/internal/webhook"
)

// lane is one destination's drain: its queue in the store, its client, its pace and its pusher.
// Lanes share nothing but the store, so a slow or broken destination holds back no other.
type lane struct {
	name   string
	store  queue.Store // the store as this destination's pusher sees it (queue.Router.Dest)
	client destination.Client
	pacer  *pusher.Pacer
	pusher *pusher.Pusher
	sig    *queue.Signal // woken by every enqueue in this process
}

// newLanes builds one lane per configured destination. With more than one, every metric of a lane
// carries a destination label; with one, the metrics are those of a single-destination deployment.
func newLanes(cfg *config, store queue.Store, reg *prometheus.Registry, recorder *console.Recorder,
	log *slog.Logger, h hooks) ([]*lane, error) {
	names := cfg.destinations()
	var out []*lane
	for i, name := range names {
		view := store
		if r, ok := store.(queue.Router); ok {
			v, err := r.Dest(name)
			if err != nil {
				return nil, err
			}
			view = v
		}
		var lreg prometheus.Registerer = reg
		if len(names) > 1 {
			lreg = prometheus.WrapRegistererWith(prometheus.Labels{"destination": name}, reg)
		}
		l := &lane{name: name, store: view, sig: queue.NewSignal()}
		rpm, batch := cfg.RateLimitRPM, cfg.BatchSize
		switch name {
		case destGenesys:
			rpm, batch = cfg.GenesysRPM, min(cfg.GenesysMaxBatch, 1000)
		case destWebhook:
			rpm, batch = cfg.WebhookDestRPM, min(cfg.WebhookDestMaxBatch, 1000)
		}
		l.pacer = pusher.NewPacerWith(pusher.PacerConfig{RPM: rpm, Limiter: limiterOf(view)})
		pusher.RegisterPacerMetrics(lreg, l.pacer)
		lreg.MustRegister(newQueueCollector(view), newOpsCollector(view, view, l.pacer))
		counting := newCountingTransport(lreg)
		if i == 0 {
			counting.next = recorder // the status page lists recent requests to the primary destination
		}
		hc := &http.Client{Transport: counting}
		switch name {
		case destCXone:
			l.client = newClient(cfg, l.pacer, hc, log.With("component", "cxone"))
		case destGenesys:
			l.client = genesys.New(cfg.genesysConfig(l.pacer, hc))
		case destWebhook:
			c, err := webhook.New(cfg.webhookConfig(l.pacer, hc))
			if err != nil {
				return nil, err
			}
			l.client = c
		default:
			return nil, fmt.Errorf("DNCSYNC_DESTINATIONS: %q is not a destination", name)
		}
		pc := pusher.Config{
			BatchSize: batch, Linger: cfg.BatchLinger, Lease: cfg.Lease, MaxAttempts: cfg.MaxAttempts,
			MaxLostLeases: cfg.MaxLostLeases, Backoff: pusher.ExpBackoff(cfg.RetryBackoff, time.Hour), ConfigWait: cfg.ConfigWait,
			DrainTimeout: cfg.Shutdown, Logger: log.With("component", "pusher", "destination", name),
			Metrics: pusher.NewMetrics(lreg),
		}
		if i == 0 {
			pc.OnSynced = h.onSynced
		}
		l.pusher = pusher.New(view, l.client, l.pacer, l.sig.C(), pc)
		out = append(out, l)
	}
	return out, nil
}

// signals are the lanes' wake-ups, for queue.Signaling.
func signals(lanes []*lane) []*queue.Signal {
	out := make([]*queue.Signal, len(lanes))
	for i, l := range lanes {
		out[i] = l.sig
	}
	return out
}

// opLanes are the lanes as the operator API sees them.
func opLanes(lanes []*lane) []lookup.Lane {
	out := make([]lookup.Lane, len(lanes))
	for i, l := range lanes {
		out[i] = lookup.Lane{Name: l.name, Store: l.store, Pacing: l.pacer}
	}
	return out
}

// lister reads a destination's whole list, for reconcile (cxone admin, genesys).
type lister interface {
	AllNumbers(ctx context.Context) ([]string, error)
}

// reconciler serves POST /v1/reconcile for the lane a request names (the primary by default).
func reconciler(lanes []*lane, q queue.Queue, ev queue.Evidence) func(ctx context.Context, dest string, dryRun bool) (any, error) {
	return func(ctx context.Context, dest string, dryRun bool) (any, error) {
		l, err := laneNamed(lanes, dest)
		if err != nil {
			return nil, err
		}
		ls, ok := l.client.(lister)
		if !ok {
			return nil, fmt.Errorf("%w: %s cannot list its numbers (reconcile needs the admin profile, CXONE_API=admin, or genesys)",
				lookup.ErrNoReconcile, l.name)
		}
		label := ""
		if len(lanes) > 1 {
			label = l.name
		}
		return reconcile.RunFor(ctx, ls, q, ev, label, dryRun, time.Now())
	}
}

func laneNamed(lanes []*lane, name string) (*lane, error) {
	if name == "" {
		return lanes[0], nil
	}
	for _, l := range lanes {
		if l.name == name {
			return l, nil
		}
	}
	return nil, fmt.Errorf("%w: %q", queue.ErrNoDestination, name)
}
