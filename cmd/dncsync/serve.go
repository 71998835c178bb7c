package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/dncsync/dncsync/api"
	"github.com/dncsync/dncsync/internal/console"
	"github.com/dncsync/dncsync/internal/cxone"
	"github.com/dncsync/dncsync/internal/gate"
	"github.com/dncsync/dncsync/internal/intake"
	"github.com/dncsync/dncsync/internal/lookup"
	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/boltq"
	"github.com/dncsync/dncsync/internal/queue/redisq"
)

// service is the wired program of `dncsync serve`.
type service struct {
	cfg   *config
	log   *slog.Logger
	store queue.Store
	lanes []*lane // one per destination, the primary first
	mux   *http.ServeMux
	ready *readiness
	// sampler keeps the last hour of the queue for the status page.
	sampler *console.Sampler
	routes  []string // the patterns registered on mux
}

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

// hooks let demo and tests observe the service without reaching into it.
type hooks struct {
	onSynced func(queue.Item, time.Time)
}

func openStore(cfg *config) (queue.Store, error) {
	dests := cfg.destinations()
	if cfg.RedisURL != "" {
		return redisq.Open(cfg.RedisURL, redisq.Options{EventIDTTL: cfg.EventIDTTL, MinReplicas: cfg.RedisMinReplicas,
			Destinations: dests, Rejections: cfg.rejectionLimits()})
	}
	return boltq.Open(filepath.Join(cfg.DataDir, "dncsync.db"), boltq.Options{EventIDTTL: cfg.EventIDTTL,
		MaxLostLeases: cfg.MaxLostLeases, Destinations: dests, Rejections: cfg.rejectionLimits()})
}

// limiterOf is the rate limiter every replica on the store shares (Redis); nil: the pacer keeps
// its own (the embedded store serves one process).
func limiterOf(store queue.Store) queue.Limiter {
	if rs, ok := store.(*redisq.Store); ok {
		return rs.Limiter()
	}
	return nil
}

func newVerifier(cfg *config) (intake.Verifier, error) {
	switch cfg.WebhookAuth {
	case "standard":
		return intake.NewStandard(cfg.WebhookSecret)
	case "token":
		return intake.Token{Token: cfg.WebhookToken}, nil
	}
	return intake.None{}, nil
}

func newService(cfg *config, log *slog.Logger, h hooks) (*service, error) {
	verifier, err := newVerifier(cfg)
	if err != nil {
		return nil, err
	}
	store, err := openStore(cfg)
	if err != nil {
		return nil, err
	}
	if err := checkRedis(store, cfg, log); err != nil {
		store.Close()
		return nil, err
	}
	if rec, ok := store.(queue.Recorder); ok {
		// For the tools that open the store directly (import, dlq, status): they check it.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := rec.RecordDestinations(ctx); err != nil {
			log.Warn("could not record the destinations in the store (tools will not check theirs)", "err", err)
		}
		cancel()
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newRejectionCollector(store))
	recorder := &console.Recorder{}
	lanes, err := newLanes(cfg, store, reg, recorder, log, h)
	if err != nil {
		store.Close()
		return nil, err
	}
	primary := lanes[0]
	q := queue.Signaling(store, signals(lanes)...) // an enqueue writes every destination's queue
	inMetrics := intake.NewMetrics(reg)
	in := intake.New(q, intake.Config{DefaultRegion: cfg.DefaultRegion, Auth: verifier,
		Logger: log.With("component", "intake"), Metrics: inMetrics})

	s := &service{cfg: cfg, log: log, store: store, lanes: lanes, mux: http.NewServeMux()}
	r := &routes{mux: s.mux} // lists the routes, which the API document must match (api_test.go)
	r.HandleFunc("POST /webhook/opt-out", in.OptOut)
	if cfg.TwilioToken != "" {
		r.Handle("POST /webhook/twilio", intake.NewTwilio(in, intake.TwilioConfig{AuthToken: cfg.TwilioToken,
			PublicURL: cfg.PublicURL, StopWords: splitList(cfg.StopWords), StartRemoves: cfg.StartRemoves}))
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
	lh := lookup.New(q, store, admin, cfg.DefaultRegion)
	// Re-queued numbers go through the signaling queue, so the pushers wake for them.
	lh.Reconcile = reconciler(lanes, q, store)
	if len(lanes) > 1 {
		lh.Lanes = opLanes(lanes)
	}
	lh.Register(r)
	ops := lookup.NewOperator(lh, primary.store, primary.pacer).WithDestinations(opLanes(lanes))
	ops.Register(r)
	// The batch endpoint for imports: the webhook's batch shape behind the admin token.
	imports := intake.New(q, intake.Config{DefaultRegion: cfg.DefaultRegion, Logger: log.With("component", "import"),
		Metrics: inMetrics, Import: true})
	r.Handle("POST /v1/events", lh.Admin(http.HandlerFunc(imports.OptOut)))
	s.sampler = &console.Sampler{Stats: primary.store.Stats, Gatherer: reg}
	sessions, ok := store.(queue.Sessions)
	if !ok {
		store.Close()
		return nil, fmt.Errorf("the %T store cannot keep console sessions", store)
	}
	(&console.Handler{Store: primary.store, Admin: admin, Sessions: sessions, PublicURL: cfg.PublicURL,
		DefaultRegion: cfg.DefaultRegion, Pacing: primary.pacer, Lanes: opLanes(lanes),
		Sampler: s.sampler, Recorder: recorder}).Register(r)
	r.HandleFunc("GET /openapi.yaml", api.ServeOpenAPI)
	s.routes = r.patterns
	return s, nil
}

// newClient builds the configured CXone profile.
func newClient(cfg *config, pacer cxone.Pacer, hc *http.Client, log *slog.Logger) cxone.Client {
	if cfg.CXoneAPI == "admin" {
		return newAdmin(cfg, pacer, hc, log)
	}
	return newV2(cfg, pacer, hc)
}

func newV2(cfg *config, pacer cxone.Pacer, hc *http.Client) *cxone.V2 {
	return cxone.NewV2(cxone.V2Config{BaseURL: cfg.BaseURL, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
		ListID: cfg.ListID, Pacer: pacer, HTTP: hc})
}

// newAdmin builds the admin profile; log nil: slog's default.
func newAdmin(cfg *config, pacer cxone.Pacer, hc *http.Client, log *slog.Logger) *cxone.Admin {
	return cxone.NewAdmin(cxone.AdminConfig{AuthURL: cfg.authURL(), DiscoveryURL: cfg.DiscoveryURL,
		AccessKeyID: cfg.AccessKeyID, AccessKeySecret: cfg.AccessSecret, ClientID: cfg.ClientID,
		ClientSecret: cfg.ClientSecret, ClientAuthMethod: cfg.ClientAuth, APIBase: cfg.APIBase,
		APIVersion: cfg.APIVersion, GroupID: cfg.GroupID, PhoneJSON: cfg.PhoneJSON, ExpiresAfter: cfg.ExpiresAfter,
		Pacer: pacer, HTTP: hc, Logger: log})
}

// run serves on ln until ctx is done, then shuts down in order: stop intake (in-flight requests
// finish), let the pusher finish or release its batch, close the store.
func (s *service) run(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: maxHeaderBytes,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
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
	wg.Go(func() { s.sampler.Run(pctx) })
	wg.Go(func() {
		queue.KeepAudit(pctx, s.store, queue.Retention{Audit: s.cfg.AuditKeep, Rejections: s.cfg.RejectionKeep},
			6*time.Hour, s.log.With("component", "retention"))
	})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	s.log.Info("dncsync serving", "addr", ln.Addr().String(), "store", storeName(s.cfg),
		"destinations", s.cfg.destinations(), "cxone_api", s.cfg.CXoneAPI,
		"rate_limit_rpm", s.cfg.RateLimitRPM, "batch_size", s.cfg.BatchSize, "webhook_auth", s.cfg.WebhookAuth)

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
	if cerr := s.store.Close(); cerr != nil {
		s.log.Warn("closing the store", "err", cerr)
	}
	s.log.Info("stopped")
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// maxHeaderBytes bounds a request's headers: senders send a few hundred bytes, and the default
// (1 MiB) lets a few hundred connections hold hundreds of MB.
const maxHeaderBytes = 64 << 10

// checkRedis refuses a Redis whose settings would lose accepted opt-outs (keys evicted, or no
// append-only file), unless DNCSYNC_ALLOW_UNSAFE_REDIS says the operator knows why. A Redis that
// cannot be asked (down at start, or CONFIG forbidden by a managed service) is not refused.
func checkRedis(store queue.Store, cfg *config, log *slog.Logger) error {
	rs, ok := store.(*redisq.Store)
	if !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	problems := rs.DurabilityWarnings(ctx)
	if len(problems) == 0 {
		return nil
	}
	if cfg.UnsafeRedis {
		for _, p := range problems {
			log.Warn(p + " (started anyway: DNCSYNC_ALLOW_UNSAFE_REDIS=true)")
		}
		return nil
	}
	return fmt.Errorf("refusing to start: %s; or set DNCSYNC_ALLOW_UNSAFE_REDIS=true to start anyway", strings.Join(problems, "; "))
}

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

// splitList reads a comma-separated setting.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func storeName(cfg *config) string {
	if cfg.RedisURL != "" {
		return "redis"
	}
	return "embedded in " + cfg.DataDir
}
