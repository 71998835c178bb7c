// Package five9sim is a simulator of Five9's Configuration Web Services (the SOAP admin API) as
// far as dncsync uses it, for tests and demos: the domain's do-not-call list behind
// addNumbersToDnc, removeNumbersFromDnc and checkDncForNumbers, and getVCCConfiguration for a
// login check. It enforces what Five9's guide documents: Basic authentication of the domain's
// admin user, additions only from 23:00 to 06:00 Pacific time (by its own clock, which a test
// sets), at most 50,000 numbers a check, numbers of 10 digits. It misbehaves on demand with the
// simfault model: 429 with or without Retry-After, 5xx, an HTML gateway page, slow answers (a
// client's timeout), answers lost after the list changed.
//
// # What it answers
//
// POST {Path} (default /wsadmin/v13/AdminWebService) with a SOAP 1.1 envelope; the operation is
// the Body's first element, its numbers the <numbers> children. Without the configured user and
// password: 401. An unknown operation, a malformed envelope, a number that is not 10 digits or a
// check of more than MaxCheck numbers: HTTP 500 with a SOAP fault. addNumbersToDnc outside the
// window: a fault whose faultstring names the window (counted in OutsideWindow), nothing added.
// With DenyDNC the DNC operations answer a fault naming the missing permission. Answers are
// <{op}Response><return>...</return></{op}Response>: the count of numbers added, 0 for a
// removal, the numbers found for a check. Config.Refuse makes it refuse numbers of its choice the
// same way as a malformed one: one fault for the request, naming no number.
//
// # Inspection
//
// List, Has, Stats, SetFaults, SetNow and Now expose and change the state, and the same is served
// over HTTP, unauthenticated and uncounted:
//
//	GET  /sim/list     {"numbers":[...]}           (10 digits, sorted)
//	GET  /sim/stats    Stats
//	POST /sim/faults   Faults; replaces all         -> 204
//	GET  /sim/clock    the simulator's time, RFC 3339 (text/plain)
//	POST /sim/clock    an RFC 3339 time: its clock runs on from there -> 204
package five9sim

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dncsync/dncsync/internal/five9/window"
	"github.com/dncsync/dncsync/internal/simfault"
)

// Defaults of Config.
const (
	DefaultUser     = "admin@five9sim.example"
	DefaultPassword = "five9sim-password"
	DefaultPath     = "/wsadmin/v13/AdminWebService"
	// DefaultMaxCheck is the most numbers checkDncForNumbers takes (Five9's guide: 50,000).
	DefaultMaxCheck = 50000
	// Namespace is the admin service's XML namespace.
	Namespace = "http://service.admin.ws.five9.com/"
)

// Operations it serves.
const (
	OpAdd    = "addNumbersToDnc"
	OpRemove = "removeNumbersFromDnc"
	OpCheck  = "checkDncForNumbers"
	OpConfig = "getVCCConfiguration"
)

// Config configures a simulator. Zero values get the defaults noted on each field.
type Config struct {
	User, Password string // the domain's admin user; default DefaultUser, DefaultPassword
	Path           string // default DefaultPath
	MaxCheck       int    // default DefaultMaxCheck
	// RatePerMinute limits requests; 0: unlimited. Burst is the bucket's capacity, default
	// RatePerMinute.
	RatePerMinute, Burst int
	// DenyDNC: the user lacks the DNC permissions, so the DNC operations answer a fault.
	DenyDNC bool
	// Refuse names 10-digit numbers Five9 refuses: a request holding one answers a fault that
	// says a number is invalid, without saying which, and changes nothing.
	Refuse func(number string) bool
	// Seed makes fault decisions reproducible; Logf receives one line per request.
	Seed int64
	Logf func(format string, args ...any)
	// Now is the wall clock the simulator's own clock runs on (SetNow shifts it); default
	// time.Now.
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	if c.User == "" {
		c.User = DefaultUser
	}
	if c.Password == "" {
		c.Password = DefaultPassword
	}
	if c.Path == "" {
		c.Path = DefaultPath
	}
	if c.MaxCheck <= 0 {
		c.MaxCheck = DefaultMaxCheck
	}
	if c.RatePerMinute == 0 {
		c.RatePerMinute = -1
	}
	if c.Burst <= 0 {
		c.Burst = max(c.RatePerMinute, 1)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Stats is a snapshot of what the simulator has seen.
type Stats struct {
	simfault.Counter     // requests by operation and status; faults injected
	AuthFailed       int `json:"authFailed"`
	OutsideWindow    int `json:"outsideWindow"` // additions refused for the hour
	RateLimited      int `json:"rateLimited"`
	Added            int `json:"added"`
	Removed          int `json:"removed"`
	Checked          int `json:"checked"`
}

// Server is the simulator, an http.Handler safe for concurrent use.
type Server struct {
	cfg     Config
	mux     *http.ServeMux
	mu      sync.Mutex
	dice    *simfault.Dice
	faults  simfault.Faults
	limiter *simfault.Limiter
	offset  time.Duration // the simulator's clock minus the wall's
	list    map[string]bool
	stats   Stats
}

// New returns a simulator for cfg.
func New(cfg Config) *Server {
	cfg = cfg.withDefaults()
	s := &Server{cfg: cfg, mux: http.NewServeMux(), dice: simfault.NewDice(cfg.Seed),
		limiter: simfault.NewLimiter(cfg.RatePerMinute, cfg.Burst), list: map[string]bool{},
		stats: Stats{Counter: simfault.NewCounter()}}
	s.mux.HandleFunc("POST "+cfg.Path, s.soap)
	s.mux.HandleFunc("GET /sim/list", func(w http.ResponseWriter, _ *http.Request) {
		simfault.JSON(http.StatusOK, map[string][]string{"numbers": s.List()}).Write(w)
	})
	s.mux.HandleFunc("GET /sim/stats", func(w http.ResponseWriter, _ *http.Request) {
		simfault.JSON(http.StatusOK, s.Stats()).Write(w)
	})
	s.mux.HandleFunc("POST /sim/faults", func(w http.ResponseWriter, r *http.Request) {
		var f simfault.Faults
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&f); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.SetFaults(f)
		w.WriteHeader(http.StatusNoContent)
	})
	s.mux.HandleFunc("GET /sim/clock", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, s.Now().UTC().Format(time.RFC3339Nano))
	})
	s.mux.HandleFunc("POST /sim/clock", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 100))
		t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(b)))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.SetNow(t)
		w.WriteHeader(http.StatusNoContent)
	})
	return s
}

// Config returns the effective configuration.
func (s *Server) Config() Config { return s.cfg }

// Start serves on a free loopback port and returns the URL of the SOAP service (FIVE9_URL) and
// the base URL of the inspection routes. It panics if it cannot listen (a broken host).
func (s *Server) Start() (serviceURL, base string, stop func()) {
	base, stop, err := simfault.Listen("127.0.0.1:0", s, s.cfg.Logf)
	if err != nil {
		panic("five9sim: listen: " + err.Error())
	}
	return base + s.cfg.Path, base, stop
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Now is the simulator's clock: the wall's, shifted by SetNow.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg.Now().Add(s.offset)
}

// SetNow sets the simulator's clock to t; it runs on from there.
func (s *Server) SetNow(t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset = t.Sub(s.cfg.Now())
}

// SetFaults replaces the fault probabilities.
func (s *Server) SetFaults(f simfault.Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f.Clamp()
}

// List is the DNC list, sorted (10-digit numbers).
func (s *Server) List() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.list))
	for n := range s.list {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Has reports whether the 10-digit number is on the list.
func (s *Server) Has(number string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.list[number]
}

// Seed puts numbers on the list behind the client's back.
func (s *Server) Seed(numbers ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range numbers {
		s.list[n] = true
	}
}

// Stats is a snapshot of the counts.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.stats
	out.Counter = s.stats.Counter.Snapshot()
	return out
}

// request is a SOAP request's operation and numbers.
type request struct {
	op      string
	numbers []string
}

// parse reads the operation (the Body's first element) and its <numbers> children.
func parse(body []byte) (request, error) {
	var env struct {
		Body struct {
			Op struct {
				XMLName xml.Name
				Numbers []string `xml:"numbers"`
			} `xml:",any"`
		} `xml:"Body"`
	}
	if err := xml.Unmarshal(body, &env); err != nil {
		return request{}, err
	}
	if env.Body.Op.XMLName.Local == "" {
		return request{}, fmt.Errorf("no operation in the SOAP body")
	}
	return request{op: env.Body.Op.XMLName.Local, numbers: env.Body.Op.Numbers}, nil
}

func (s *Server) soap(w http.ResponseWriter, r *http.Request) {
	body, err := simfault.ReadBody(r, 16<<20)
	req, perr := parse(body)
	kind := req.op
	if err != nil || perr != nil {
		kind = "malformed"
	}
	s.mu.Lock()
	now := s.cfg.Now().Add(s.offset)
	s.stats.Observe(now)
	if user, pass, ok := r.BasicAuth(); !ok || user != s.cfg.User || pass != s.cfg.Password {
		s.stats.AuthFailed++
		s.stats.Record(kind, http.StatusUnauthorized)
		s.mu.Unlock()
		w.Header().Set("WWW-Authenticate", `Basic realm="Five9 Configuration Web Services"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	roll := s.dice.Roll(s.faults)
	var rep simfault.Reply
	switch ok, wait := s.limiter.Take("all", now); {
	case !ok:
		s.stats.RateLimited++
		rep = simfault.Empty(http.StatusTooManyRequests)
		rep.Header.Set("Retry-After", simfault.RetryAfterSeconds(wait))
	case roll.RateLimit:
		s.stats.Fault(simfault.FaultRateLimit429)
		s.stats.RateLimited++
		rep = simfault.Empty(http.StatusTooManyRequests)
		if ra := s.faults.InjectedRetryAfter(now); ra != "" {
			rep.Header.Set("Retry-After", ra)
		}
	case roll.ServerError != 0:
		s.stats.Fault(simfault.FaultServerError)
		rep = fault(roll.ServerError, "Server", "internal error")
	case roll.HTML:
		s.stats.Fault(simfault.FaultHTMLError)
		rep = simfault.HTMLBadGateway()
	case err != nil || perr != nil:
		rep = fault(http.StatusInternalServerError, "Client", fmt.Sprintf("malformed request: %v", firstErr(err, perr)))
	default:
		rep = s.apply(req, now)
	}
	s.stats.Record(kind, rep.Status)
	if roll.Lost && rep.Status == http.StatusOK {
		s.stats.Fault(simfault.FaultLostAfterApply)
	}
	faults := s.faults
	s.mu.Unlock()
	if s.cfg.Logf != nil {
		s.cfg.Logf("five9sim: %s %d numbers -> %d", kind, len(req.numbers), rep.Status)
	}
	if roll.Slow > 0 {
		s.statsFault(simfault.FaultSlow)
		if !simfault.Sleep(r.Context(), faults.SlowDelay) {
			return
		}
	}
	if roll.Lost && rep.Status == http.StatusOK {
		simfault.DropConnection(w)
		return
	}
	rep.Write(w)
}

func (s *Server) statsFault(kind string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Fault(kind)
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// apply runs one operation on the list; s.mu is held.
func (s *Server) apply(req request, now time.Time) simfault.Reply {
	switch req.op {
	case OpConfig:
		return answer(req.op, "<domainName>five9sim</domainName>")
	case OpAdd, OpRemove, OpCheck:
	default:
		return fault(http.StatusInternalServerError, "Client", "unknown operation "+req.op)
	}
	if s.cfg.DenyDNC {
		return fault(http.StatusInternalServerError, "Server",
			"AccessDisabled: the user has no permission to manage the DNC list (Can Manage DNC)")
	}
	for _, n := range req.numbers {
		if len(n) != 10 || strings.Trim(n, "0123456789") != "" || (s.cfg.Refuse != nil && req.op != OpCheck && s.cfg.Refuse(n)) {
			return fault(http.StatusInternalServerError, "Client", "invalid phone number: a number has 10 digits")
		}
	}
	switch req.op {
	case OpAdd:
		if open, _ := window.Adds(now); !open {
			s.stats.OutsideWindow++
			return fault(http.StatusInternalServerError, "Server",
				"numbers can be added to the DNC list only from 11:00 PM to 6:00 AM Pacific Time")
		}
		added := 0
		for _, n := range req.numbers {
			if !s.list[n] {
				s.list[n] = true
				added++
			}
		}
		s.stats.Added += added
		return answer(req.op, fmt.Sprintf("<return>%d</return>", added))
	case OpRemove:
		for _, n := range req.numbers {
			if s.list[n] {
				delete(s.list, n)
				s.stats.Removed++
			}
		}
		return answer(req.op, "<return>0</return>")
	}
	if len(req.numbers) > s.cfg.MaxCheck {
		return fault(http.StatusInternalServerError, "Client", fmt.Sprintf("too many numbers: at most %d a request", s.cfg.MaxCheck))
	}
	s.stats.Checked += len(req.numbers)
	var b strings.Builder
	for _, n := range req.numbers {
		if s.list[n] {
			fmt.Fprintf(&b, "<return>%s</return>", n)
		}
	}
	return answer(req.op, b.String())
}

const envOpen = `<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body>`
const envClose = `</env:Body></env:Envelope>`

func answer(op, inner string) simfault.Reply {
	body := envOpen + `<ns2:` + op + `Response xmlns:ns2="` + Namespace + `">` + inner + `</ns2:` + op + `Response>` + envClose
	return xmlReply(http.StatusOK, body)
}

func fault(status int, code, msg string) simfault.Reply {
	var esc strings.Builder
	_ = xml.EscapeText(&esc, []byte(msg))
	body := envOpen + `<env:Fault><faultcode>env:` + code + `</faultcode><faultstring>` + esc.String() +
		`</faultstring></env:Fault>` + envClose
	return xmlReply(status, body)
}

func xmlReply(status int, body string) simfault.Reply {
	h := http.Header{}
	h.Set("Content-Type", "text/xml; charset=utf-8")
	return simfault.Reply{Status: status, Header: h, Body: []byte(body)}
}
