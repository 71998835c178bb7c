package cxonesim

import (
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dncsync/dncsync/internal/simfault"
)

// Config configures a simulated CXone tenant. Zero values get the defaults
// noted on each field, so Config{} is a usable demo tenant.
type Config struct {
	// ClientID and ClientSecret are the only credentials the token endpoint
	// accepts. Defaults: "dncsync-sim" and "dncsync-sim-secret".
	ClientID, ClientSecret string
	// ListID is the one DNC list that exists. Default: "dnc-list-1".
	ListID string
	// TokenTTL is the lifetime of issued access tokens. Default: 1h.
	TokenTTL time.Duration
	// RatePerMinute is the sustained API call rate per organization. 0 means
	// 100; a negative value disables rate limiting.
	RatePerMinute int
	// Burst is the token bucket capacity. 0 means RatePerMinute.
	Burst int
	// MaxBatch is the largest number of contacts one add request may carry.
	// Default: 50.
	MaxBatch int

	// The admin profile (admin*.go). Its DNC group is the list above under
	// another name, so List, Seed, Delete and OnChange cover both profiles.

	// AccessKeyID and AccessKeySecret are the only access key the admin
	// logins accept. Defaults: "sim-access-key" and "sim-access-secret".
	AccessKeyID, AccessKeySecret string
	// AppClientID and AppClientSecret are the registered application the
	// password grant (POST /auth/token) requires as HTTP Basic auth.
	// Defaults: "sim-app-client" and "sim-app-secret".
	AppClientID, AppClientSecret string
	// TenantID is the tenant in admin tokens and the only one discovery
	// knows. Default: "tenant-sim-1".
	TenantID string
	// DNCGroupID is the one DNC group that exists; others are 404. It names
	// the same list as ListID. Default: "1001".
	DNCGroupID string
	// DNCGroupName is the group's name in search results. Default:
	// "dncsync-sim DNC group".
	DNCGroupName string
	// APIEndpoint, if set, is the api_endpoint discovery returns; otherwise
	// it is this server's own base URL, taken from the request.
	APIEndpoint string
	// AdminMaxBatch is the most records one admin add or remove request may
	// carry. The vendor publishes no limit. Default: 1000.
	AdminMaxBatch int
	// AppAuthMethod is how the registered application authenticates at the
	// token endpoint: "client_secret_basic" (default) or "client_secret_post".
	AppAuthMethod string
	// ScrubbedSkills and ContributingSkills are the skills linked to the DNC
	// group. Nil ScrubbedSkills is one outbound skill; SetGroupSkills changes
	// both, to none too.
	ScrubbedSkills, ContributingSkills []Skill
	// Lenient makes the admin profile also accept and answer the shapes other
	// public clients show where they differ from the published spec (see the
	// package doc). Default: the spec's shapes only.
	Lenient bool

	// Seed makes fault decisions reproducible for a given request order.
	Seed int64
	// Logf, if set, receives one line per API request and per notable event.
	Logf func(format string, args ...any)
	// Now, if set, replaces time.Now for token expiry, rate limiting and
	// timestamps, so tests can move time without sleeping. Slow faults still
	// sleep in real time.
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	if c.ClientID == "" {
		c.ClientID = "dncsync-sim"
	}
	if c.ClientSecret == "" {
		c.ClientSecret = "dncsync-sim-secret"
	}
	if c.ListID == "" {
		c.ListID = "dnc-list-1"
	}
	if c.TokenTTL <= 0 {
		c.TokenTTL = time.Hour
	}
	if c.RatePerMinute == 0 {
		c.RatePerMinute = 100
	}
	if c.Burst <= 0 {
		c.Burst = c.RatePerMinute
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = 50
	}
	c = c.adminDefaults()
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Server is the simulator. It is an http.Handler and is safe for concurrent
// use; all inspection and fault methods may be called while it serves.
type Server struct {
	cfg Config
	mux *http.ServeMux // the API host (both profiles) and /sim/

	// The admin profile's other hosts (hosts.go).
	loginMux, discoveryMux *http.ServeMux
	hosts                  atomic.Pointer[Hosts]

	// mu guards everything below. It is never held while sleeping, reading a
	// request body or calling OnChange callbacks.
	mu       sync.Mutex
	rng      *rand.Rand
	faults   Faults
	tokens   *tokenStore
	limiter  *limiter
	lists    *store
	subs     []Subscription
	stats    statsState
	onChange []func(Change)
	pending  []Change // changes awaiting delivery to onChange
	draining bool     // some goroutine is delivering pending changes
	group    groupState
	refuse   func(number string) bool // SetRefuse
	// expiredLayout writes expiredDate in admin answers; "": RFC 3339 (SetExpiredDateLayout).
	expiredLayout string
	hold          simfault.Hold // HoldRequests
}

// New returns a simulator for cfg. It does not listen; use Start or Listen,
// or mount it in an existing server.
func New(cfg Config) *Server {
	cfg = cfg.withDefaults()
	s := &Server{
		cfg:     cfg,
		mux:     http.NewServeMux(),
		rng:     rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(cfg.Seed)^0x9e3779b97f4a7c15)),
		tokens:  newTokenStore(cfg.TokenTTL, map[string]string{cfg.ClientID: cfg.ClientSecret}),
		limiter: newLimiter(cfg.RatePerMinute, cfg.Burst),
		lists:   newStore(cfg.ListID),
		stats:   newStatsState(),
	}
	s.loginMux, s.discoveryMux, s.group = http.NewServeMux(), http.NewServeMux(), newGroupState(cfg)
	s.routeAuth()
	s.routeV2()
	s.routeAdmin()
	s.routeInspect()
	return s
}

// Config returns the effective configuration (defaults filled in), e.g. for a
// demo to print the credentials and list ID.
func (s *Server) Config() Config { return s.cfg }

// ServeHTTP is the API host: both profiles' API calls, the v2 token endpoint
// and the /sim/ inspection routes. The admin profile's login and discovery
// are on hosts of their own (LoginHandler, DiscoveryHandler, ListenHosts).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.serve(s.mux, w, r)
}

// serve dispatches r on one host's mux.
func (s *Server) serve(mux *http.ServeMux, w http.ResponseWriter, r *http.Request) {
	if _, pattern := mux.Handler(r); pattern == "" {
		// A client calling a path or method the contract does not have (or
		// on the wrong host) is a bug worth seeing in Stats, so count it
		// before the mux answers 404/405.
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		mux.ServeHTTP(sw, r)
		s.mu.Lock()
		s.stats.record(kindUnmatched, sw.status)
		s.mu.Unlock()
		s.logf("cxonesim: %s %s%s -> %d (no such route)", r.Method, r.Host, r.URL.Path, sw.status)
		return
	}
	mux.ServeHTTP(w, r)
}

// Listen serves the API host (ServeHTTP) on addr (e.g. "127.0.0.1:0") until
// shutdown is called. It returns the base URL, e.g. "http://127.0.0.1:43121".
// The admin profile also needs its login and discovery hosts: ListenHosts.
func (s *Server) Listen(addr string) (baseURL string, shutdown func(), err error) {
	return s.listen(addr, s)
}

// listen serves h on addr until shutdown is called.
func (s *Server) listen(addr string, h http.Handler) (baseURL string, shutdown func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, err
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logf("cxonesim: serve: %v", err)
		}
	}()
	var once sync.Once
	shutdown = func() {
		once.Do(func() {
			// Close, not Shutdown: tests want connections (and slow requests)
			// cut immediately, like a vendor outage.
			_ = hs.Close()
			<-done
		})
	}
	return "http://" + ln.Addr().String(), shutdown, nil
}

// Start is Listen on a free loopback port. It panics if it cannot listen,
// which only happens on a broken host; it is meant for tests and the demo.
func (s *Server) Start() (baseURL string, shutdown func()) {
	u, stop, err := s.Listen("127.0.0.1:0")
	if err != nil {
		panic("cxonesim: listen: " + err.Error())
	}
	return u, stop
}

func (s *Server) now() time.Time { return s.cfg.Now() }

func (s *Server) logf(format string, args ...any) {
	if s.cfg.Logf != nil {
		s.cfg.Logf(format, args...)
	}
}

// statusWriter remembers the status code written through it.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
