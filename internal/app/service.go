package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/dncsync/dncsync/api"
	"github.com/dncsync/dncsync/internal/adminapi"
	"github.com/dncsync/dncsync/internal/console"
	"github.com/dncsync/dncsync/internal/gate"
	"github.com/dncsync/dncsync/internal/intake"
	"github.com/dncsync/dncsync/internal/ops"
	"github.com/dncsync/dncsync/internal/queue"
)

// Service is the wired program of `dncsync serve`.
type Service struct {
	cfg   *Config
	log   *slog.Logger
	store *Store
	lanes []*lane // one per destination, the primary first
	mux   *http.ServeMux
	ready *readiness
	// sampler keeps the last hour of the queue for the status page.
	sampler *console.Sampler
	// Routes are the patterns registered, which the API document must match.
	Routes []string
}

// Handler serves every route.
func (s *Service) Handler() http.Handler { return s.mux }

// Store is the service's store.
func (s *Service) Store() *Store { return s.store }

// routes registers handlers on a mux and remembers their patterns.
type routes struct {
	mux      *http.ServeMux
	patterns []string
}

func (r *routes) Handle(pattern string, h http.Handler) {
	r.patterns = append(r.patterns, pattern)
	r.mux.Handle(pattern, h)
}

func (r *routes) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	r.Handle(pattern, http.HandlerFunc(h))
}

// New opens the store and wires the service; cfg has passed Validate. Close the store (Run does)
// when done.
func New(cfg *Config, log *slog.Logger) (*Service, error) {
	verifier, err := cfg.Verifier()
	if err != nil {
		return nil, err
	}
	store, err := OpenStore(cfg)
	if err != nil {
		return nil, err
	}
	s, err := wire(cfg, log, store, verifier)
	if err != nil {
		store.Close()
		return nil, err
	}
	return s, nil
}

func wire(cfg *Config, log *slog.Logger, store *Store, verifier intake.Verifier) (*Service, error) {
	if err := store.CheckDurable(cfg.UnsafeRedis, log); err != nil {
		return nil, err
	}
	// For the tools that open the store directly (import, dlq, status): they check it.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	if err := store.RecordDestinations(ctx); err != nil {
		log.Warn("could not record the destinations in the store (tools will not check theirs)", "err", err)
	}
	cancel()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newRejectionCollector(store))
	recorder := &console.Recorder{}
	lanes, err := newLanes(cfg, store, reg, recorder, log)
	if err != nil {
		return nil, err
	}
	primary := lanes[0]
	// An enqueue writes every destination's queue, and wakes every lane's pusher.
	q := waking{Store: store, q: queue.Signaling(store, signals(lanes)...)}
	inMetrics := intake.NewMetrics(reg)
	revokeAll, err := cfg.RevokeAllPolicy()
	if err != nil {
		return nil, err
	}
	in := intake.New(q, intake.Config{DefaultRegion: cfg.DefaultRegion, Auth: verifier,
		Logger: log.With("component", "intake"), Metrics: inMetrics, RevokeAll: revokeAll})

	s := &Service{cfg: cfg, log: log, store: store, lanes: lanes, mux: http.NewServeMux()}
	r := &routes{mux: s.mux} // lists the routes, which the API document must match (api_test.go)
	r.HandleFunc("POST /webhook/opt-out", in.OptOut)
	if cfg.TwilioToken != "" {
		r.Handle("POST /webhook/twilio", intake.NewTwilio(in, intake.TwilioConfig{AuthToken: cfg.TwilioToken,
			PublicURL: cfg.PublicURL, StopWords: cfg.StopWordList(), StartRemoves: cfg.StartRemoves}))
	}
	r.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	s.ready = newReadiness(store, lanes)
	r.Handle("GET /readyz", s.ready)
	authMetrics := gate.NewMetrics(reg)
	metricsGuard := gate.New(gate.Config{Realm: "metrics", Token: cfg.MetricsToken, Logger: log.With("component", "auth"),
		Metrics: authMetrics})
	r.Handle("GET /metrics", bearer(metricsGuard, "dncsync-metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))
	// One guard for the admin token: the /v1 API and the status page's sign-in count a client's
	// failures together.
	admin := gate.New(gate.Config{Realm: "admin", Token: cfg.AdminToken, Logger: log.With("component", "auth"),
		Metrics: authMetrics})
	// Re-queued numbers (reconcile) go through the signaling queue, so the pushers wake for them.
	v1 := adminapi.New(&ops.Ops{Store: q, Lanes: opLanes(lanes), DefaultRegion: cfg.DefaultRegion}, admin).
		ReadOnly(gate.New(gate.Config{Realm: "read", Token: cfg.ReadToken, Logger: log.With("component", "auth"),
			Metrics: authMetrics}))
	v1.Register(r)
	// The batch endpoint for imports: the webhook's batch shape behind the admin token.
	imports := intake.New(q, intake.Config{DefaultRegion: cfg.DefaultRegion, Logger: log.With("component", "import"),
		Metrics: inMetrics, Import: true, RevokeAll: revokeAll})
	r.Handle("POST /v1/events", v1.Auth(http.HandlerFunc(imports.OptOut)))
	s.sampler = &console.Sampler{Stats: sumStats(lanes), Gatherer: reg}
	var lanesShown []ops.Lane
	if len(lanes) > 1 {
		lanesShown = opLanes(lanes)
	}
	(&console.Handler{Store: primary.store, Admin: admin, Sessions: store, PublicURL: cfg.PublicURL,
		DefaultRegion: cfg.DefaultRegion, Pacing: primary.pacing(), Lanes: lanesShown, Primary: primary.name,
		Titles: destinationTitles(), Sampler: s.sampler, Recorder: recorder}).Register(r)
	r.HandleFunc("GET /openapi.yaml", api.ServeOpenAPI)
	s.Routes = r.patterns
	return s, nil
}

// waking is the store whose Enqueue wakes the pushers of this process (queue.Signaling).
type waking struct {
	queue.Store
	q queue.Queue
}

func (w waking) Enqueue(ctx context.Context, events []queue.Event) ([]queue.EnqueueStatus, error) {
	return w.q.Enqueue(ctx, events)
}

// Run serves on ln until ctx is done, then shuts down in order: stop intake (in-flight requests
// finish), let the pushers finish or release their batches, close the store.
func (s *Service) Run(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: maxHeaderBytes,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	defer func() {
		if cerr := s.store.Close(); cerr != nil {
			s.log.Warn("closing the store", "err", cerr)
		}
	}()
	if s.cfg.PprofAddr != "" {
		stop, err := servePprof(s.cfg.PprofAddr, s.log)
		if err != nil {
			return err
		}
		defer stop()
	}
	pctx, stopPusher := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	for _, l := range s.lanes {
		wg.Go(func() { _ = l.pusher.Run(pctx) })
	}
	// Work queued by another replica on the same store wakes this one's pushers too.
	wg.Go(func() {
		s.store.Listen(pctx, func(dest string) {
			for _, l := range s.lanes {
				if l.name == dest {
					l.sig.Notify()
				}
			}
		})
	})
	wg.Go(func() { s.sampler.Run(pctx) })
	wg.Go(func() {
		queue.KeepAudit(pctx, s.store, queue.Retention{Audit: s.cfg.AuditKeep, Rejections: s.cfg.RejectionKeep},
			6*time.Hour, s.log.With("component", "retention"))
	})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	attrs := []any{"addr", ln.Addr().String(), "store", s.store.Name, "destinations", s.cfg.Destinations(),
		"webhook_auth", s.cfg.WebhookAuth}
	for _, l := range s.lanes {
		attrs = append(attrs, l.name+"_rate_limit_rpm", l.pacer.CeilingRPM())
	}
	s.log.Info("dncsync serving", attrs...)

	var err error
	select {
	case <-ctx.Done():
	case err = <-served:
	}
	s.log.Info("shutting down: intake stops, the in-flight batch finishes")
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.Shutdown)
	defer cancel()
	if serr := srv.Shutdown(sctx); serr != nil {
		s.log.Warn("HTTP shutdown", "err", serr)
	}
	stopPusher()
	wg.Wait()
	s.log.Info("stopped")
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Listen opens the service's port.
func Listen(port int) (net.Listener, error) {
	ln, err := net.Listen("tcp", fmt.Sprintf(":%d", port))
	if err != nil {
		return nil, fmt.Errorf("listen on PORT=%d: %w", port, err)
	}
	return ln, nil
}

// maxHeaderBytes bounds a request's headers: senders send a few hundred bytes, and the default
// (1 MiB) lets a few hundred connections hold hundreds of MB.
const maxHeaderBytes = 64 << 10

// bearer guards h with g's bearer token; a guard without a token leaves h open.
func bearer(g *gate.Guard, realm string, h http.Handler) http.Handler {
	if !g.Enabled() {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res := g.CheckBearer(r)
		if res.Verdict == gate.OK {
			h.ServeHTTP(w, r)
			return
		}
		res.Deny(w, `Bearer realm="`+realm+`"`)
		msg := res.Message()
		if msg == "" {
			msg = "Authorization: Bearer token required"
		}
		http.Error(w, msg, res.Status())
	})
}
