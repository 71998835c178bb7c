package genesyssim

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dncsync/dncsync/internal/simfault"
)

// Config configures a simulated Genesys Cloud organization. Zero values get the defaults noted on
// each field, so Config{} is a usable demo organization.
type Config struct {
	// ClientID and ClientSecret are the only OAuth client the login host accepts. Defaults:
	// "genesys-sim-client" and "genesys-sim-secret".
	ClientID, ClientSecret string
	// DNCListID is the internal (rds) phone DNC list that exists; AddList adds others. Default:
	// DefaultDNCListID.
	DNCListID string
	// DNCListName is its name. Default: "dncsync-sim internal DNC list".
	DNCListName string
	// TokenTTL is the lifetime of issued access tokens. Default: 24 h, the client-credentials
	// token lifetime Genesys Cloud gives by default (expires_in 86400).
	TokenTTL time.Duration
	// RatePerMinute is the sustained API request rate per OAuth client. 0 means 300, the
	// documented default of client.credentials.token.rate.per.minute; negative disables it.
	RatePerMinute int
	// Burst is the token bucket capacity. 0 means RatePerMinute.
	Burst int
	// MaxBatch is the most phone numbers one PATCH may carry (else 400 constraint.validation).
	// Genesys Cloud publishes no such number; default 1000.
	MaxBatch int
	// MaxExpiry is how far ahead an expirationDateTime may be (else 400 invalid.date.value).
	// Default: 180 days, the documented limit.
	MaxExpiry time.Duration
	// MaxListSize is the most entries a list holds (else 400
	// dnc.phone.numbers.per.list.limit.exceeded). Default: 1,000,000, the simulator's choice.
	MaxListSize int
	// ExportPolls is how many GETs of .../export after a POST still show the previous export (or
	// 404 when there is none) before the new one is ready. Default 1; negative: ready at once.
	ExportPolls int
	// Refuse, if set, names numbers the organization refuses although they are E.164 (400
	// invalid.value for the whole request), e.g. to test how a client isolates one bad number.
	// SetRefuse changes it while serving.
	Refuse func(number string) bool
	// ExportDigits writes exported numbers as digits without "+", as a list filled from a
	// spreadsheet may hold them.
	ExportDigits bool

	// Seed makes fault decisions reproducible for a given request order.
	Seed int64
	// Logf, if set, receives one line per request.
	Logf func(format string, args ...any)
	// Now, if set, replaces time.Now for tokens, rate limits, expiries and timestamps, so that
	// tests move time without sleeping. Slow faults still sleep in real time.
	Now func() time.Time
}

// DefaultDNCListID is the default list's ID (Genesys Cloud IDs are UUIDs).
const DefaultDNCListID = "0c6a7e7d-5b7e-4d3a-9a0c-d15c0517e001"

func (c Config) withDefaults() Config {
	if c.ClientID == "" {
		c.ClientID = "genesys-sim-client"
	}
	if c.ClientSecret == "" {
		c.ClientSecret = "genesys-sim-secret"
	}
	if c.DNCListID == "" {
		c.DNCListID = DefaultDNCListID
	}
	if c.DNCListName == "" {
		c.DNCListName = "dncsync-sim internal DNC list"
	}
	if c.TokenTTL <= 0 {
		c.TokenTTL = 24 * time.Hour
	}
	if c.RatePerMinute == 0 {
		c.RatePerMinute = 300
	}
	if c.Burst <= 0 {
		c.Burst = max(c.RatePerMinute, 1)
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = 1000
	}
	if c.MaxExpiry <= 0 {
		c.MaxExpiry = 180 * 24 * time.Hour
	}
	if c.MaxListSize <= 0 {
		c.MaxListSize = 1_000_000
	}
	if c.ExportPolls == 0 {
		c.ExportPolls = 1
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Server is the simulator: ServeHTTP is the API host, LoginHandler the login host. It is safe for
// concurrent use; inspection and fault methods may be called while it serves.
type Server struct {
	cfg      Config
	api      *http.ServeMux
	login    *http.ServeMux
	hosts    atomic.Pointer[Hosts]
	fileSalt string // signs download links

	// mu guards everything below. It is never held while sleeping or reading a body.
	mu      sync.Mutex
	dice    *simfault.Dice
	faults  simfault.Faults
	tokens  map[string]token
	limiter *simfault.Limiter
	lists   map[string]*list
	files   map[string][]byte // download id -> CSV
	stats   Stats
	// campaigns are the organization's outbound campaigns (SetCampaigns).
	campaigns []Campaign
	refuse    func(number string) bool // Config.Refuse, or SetRefuse
}

// New returns a simulator for cfg. It does not listen: use StartHosts or ListenHosts, or mount
// ServeHTTP and LoginHandler yourself.
func New(cfg Config) *Server {
	cfg = cfg.withDefaults()
	s := &Server{
		cfg: cfg, api: http.NewServeMux(), login: http.NewServeMux(),
		fileSalt: randomHex(16),
		dice:     simfault.NewDice(cfg.Seed),
		tokens:   map[string]token{},
		limiter:  simfault.NewLimiter(cfg.RatePerMinute, cfg.Burst),
		lists:    map[string]*list{},
		files:    map[string][]byte{},
		stats:    Stats{Counter: simfault.NewCounter()},
	}
	s.lists[cfg.DNCListID] = newList(ListInfo{ID: cfg.DNCListID, Name: cfg.DNCListName, SourceType: SourceInternal,
		ContactMethod: "Phone"}, cfg.Now())
	s.campaigns = []Campaign{{ID: DefaultCampaignID, Name: "dncsync-sim campaign", Status: "on", DNCLists: []string{cfg.DNCListID}}}
	s.refuse = cfg.Refuse
	s.routeLogin()
	s.routeAPI()
	s.routeInspect()
	return s
}

// Config returns the effective configuration (defaults filled in), e.g. for a demo to print the
// credentials and list ID.
func (s *Server) Config() Config { return s.cfg }

// ServeHTTP is the API host: the API, the download links and /sim/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.serve(s.api, w, r) }

// LoginHandler is the login host: POST /oauth/token.
func (s *Server) LoginHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serve(s.login, w, r) })
}

// serve dispatches r on one host's mux; a route the contract lacks (or on the wrong host) is
// counted under KindUnmatched before the mux answers 404 or 405.
func (s *Server) serve(mux *http.ServeMux, w http.ResponseWriter, r *http.Request) {
	if _, pattern := mux.Handler(r); pattern == "" {
		sw := &simfault.StatusWriter{ResponseWriter: w, Status: http.StatusOK}
		mux.ServeHTTP(sw, r)
		s.mu.Lock()
		s.stats.Record(KindUnmatched, sw.Status)
		s.mu.Unlock()
		s.logf("genesyssim: %s %s%s -> %d (no such route)", r.Method, r.Host, r.URL.Path, sw.Status)
		return
	}
	mux.ServeHTTP(w, r)
}

// Hosts are the base URLs of the organization's two hosts, as a region has them
// (https://login.mypurecloud.com and https://api.mypurecloud.com).
type Hosts struct {
	Login string // POST /oauth/token
	API   string // the API, download links, /sim/
}

// ListenHosts serves the login and API hosts on addr (e.g. "127.0.0.1:0"), each on a port of its
// own, until shutdown is called.
func (s *Server) ListenHosts(addr string) (Hosts, func(), error) {
	login, stopLogin, err := simfault.Listen(addr, s.LoginHandler(), s.cfg.Logf)
	if err != nil {
		return Hosts{}, nil, err
	}
	api, stopAPI, err := simfault.Listen(addr, s, s.cfg.Logf)
	if err != nil {
		stopLogin()
		return Hosts{}, nil, err
	}
	h := Hosts{Login: login, API: api}
	s.hosts.Store(&h)
	return h, func() { stopAPI(); stopLogin() }, nil
}

// StartHosts is ListenHosts on free loopback ports. It panics if it cannot listen, which only
// happens on a broken host; it is meant for tests and the demo.
func (s *Server) StartHosts() (Hosts, func()) {
	h, stop, err := s.ListenHosts("127.0.0.1:0")
	if err != nil {
		panic("genesyssim: listen: " + err.Error())
	}
	return h, stop
}

// apiBase is the API host's base URL for links in answers: the started host, else the host r came
// to (a simulator mounted by hand).
func (s *Server) apiBase(r *http.Request) string {
	if h := s.hosts.Load(); h != nil {
		return h.API
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) now() time.Time { return s.cfg.Now() }

func (s *Server) logf(format string, args ...any) {
	if s.cfg.Logf != nil {
		s.cfg.Logf(format, args...)
	}
}
