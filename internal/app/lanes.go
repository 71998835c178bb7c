package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dncsync/dncsync/internal/console"
	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/ops"
	"github.com/dncsync/dncsync/internal/pusher"
	"github.com/dncsync/dncsync/internal/queue"
)

// lane is one destination's drain: its queue in the store, its client, its pace and its pusher.
// Lanes share nothing but the store, so a slow or broken destination holds back no other.
type lane struct {
	name   string
	title  string      // the destination's, for people (destination.Spec.Title)
	scope  string      // its scope filter (NAME_SCOPE), as records show it
	store  queue.Store // the store as this destination's pusher sees it (queue.Router.Dest)
	client destination.Client
	pacer  *pusher.Pacer
	pusher *pusher.Pusher
	sig    *queue.Signal // woken by every enqueue in this process
}

// newLanes builds one lane per configured destination, each from its registry entry. With more than
// one, every metric of a lane carries a destination label; with one, the metrics are those of a
// single-destination deployment.
func newLanes(cfg *Config, store *Store, reg *prometheus.Registry, recorder *console.Recorder, log *slog.Logger) ([]*lane, error) {
	names := cfg.Destinations()
	scopes := cfg.Scopes()
	var out []*lane
	for _, name := range names {
		spec, settings, err := cfg.Dest(name)
		if err != nil {
			return nil, fmt.Errorf("DNCSYNC_DESTINATIONS: %w", err)
		}
		view, err := store.Dest(name)
		if err != nil {
			return nil, err
		}
		var lreg prometheus.Registerer = reg
		if len(names) > 1 {
			lreg = prometheus.WrapRegistererWith(prometheus.Labels{"destination": name}, reg)
		}
		l := &lane{name: name, title: spec.Title, scope: scopes[name], store: view, sig: queue.NewSignal()}
		pace := settings.Pace()
		limiter, err := store.Limiter(name)
		if err != nil {
			return nil, err
		}
		l.pacer = pusher.NewPacerWith(pusher.PacerConfig{RPM: pace.RPM, Limiter: limiter})
		pusher.RegisterPacerMetrics(lreg, l.pacer)
		lreg.MustRegister(newQueueCollector(view), newOpsCollector(view, l.pacer))
		counting := newCountingTransport(lreg)
		counting.next = recorder.For(name) // the status page lists recent requests to each destination
		if l.client, err = settings.New(destination.Deps{Pacer: l.pacer, HTTP: &http.Client{Transport: counting},
			Log: log.With("component", name)}); err != nil {
			return nil, err
		}
		registerWindowMetric(lreg, l)
		l.pusher = pusher.New(view, l.client, l.pacer, l.sig.C(), pusher.Config{
			BatchSize: min(pace.MaxBatch, 1000), Linger: cfg.BatchLinger, Lease: cfg.Lease, MaxAttempts: cfg.MaxAttempts,
			MaxLostLeases: cfg.MaxLostLeases, Backoff: pusher.ExpBackoff(cfg.RetryBackoff, time.Hour), ConfigWait: cfg.ConfigWait,
			DrainTimeout: cfg.Shutdown, Logger: log.With("component", "pusher", "destination", name),
			Metrics: pusher.NewMetrics(reg, name, len(names) > 1),
		})
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

// opLanes are the lanes as the operator's actions see them.
func opLanes(lanes []*lane) []ops.Lane {
	out := make([]ops.Lane, len(lanes))
	for i, l := range lanes {
		out[i] = ops.Lane{Name: l.name, Store: l.store, Pacing: l.pacing(), Scope: l.scope}
		if ls, ok := l.client.(destination.Lister); ok {
			out[i].Lister = ls
		}
	}
	return out
}

// sumStats reads every lane's queue and adds them up, as the status page's tiles do (its chart's
// depth).
func sumStats(lanes []*lane) func(context.Context) (queue.Stats, error) {
	return func(ctx context.Context) (queue.Stats, error) {
		var sum queue.Stats
		for _, l := range lanes {
			st, err := l.store.Stats(ctx)
			if err != nil {
				return queue.Stats{}, err
			}
			sum.Ready, sum.Leased, sum.Dead = sum.Ready+st.Ready, sum.Leased+st.Leased, sum.Dead+st.Dead
			if !st.OldestReceived.IsZero() && (sum.OldestReceived.IsZero() || st.OldestReceived.Before(sum.OldestReceived)) {
				sum.OldestReceived = st.OldestReceived
			}
		}
		return sum, nil
	}
}
