// Package webhooksim is a receiver of the webhook destination's requests, for tests and demos: it
// verifies each request's Standard Webhooks signature, keeps the do-not-call list the requests
// describe, and misbehaves on demand with the simfault model (429 with or without Retry-After,
// 5xx, an HTML gateway page, slow answers, answers lost after the list changed). It is strict:
// what the webhook package documents as the contract is all it accepts.
//
// # What it accepts
//
// POST {Path} (default /dnc) with Content-Type application/json (else 415), a body of at most
// MaxBatch numbers (else 413), signed with one of Secrets within the tolerance (else 401, nothing
// applied). The body is {"type","timestamp","data":{"action","numbers":[{"phoneNumber","reason",
// "source","expiresAt","occurredAt"}]}} with keys spelt exactly (else 400); type dnc.add,
// dnc.remove or dnc.ping matching action add, remove or ping (else 400); a number given twice, a
// number without occurredAt, expiresAt on a remove, or a timestamp other than the latest
// occurredAt (the event's time; a ping's is free) is a 400. A number that is not E.164, or that
// Reject names, is refused on its own: the answer is 200 {"results":[{"phoneNumber","status":
// "rejected","error"}]} listing the refused numbers, the others applied. Otherwise the answer is
// 204, or 200 with a result for every number when AlwaysResults is set.
//
// A receiver's ordering: an action is applied only if its occurredAt is not older than the last
// one applied to the number (a removal is remembered too); an older one is answered as done and
// counted as Stale, so that a late retry cannot undo a newer opposite action. Adding a listed
// number replaces its reason, source and expiry.
//
// A receiver's idempotency: a webhook-id whose request applied every number is answered again as
// it was, without applying anything (Duplicates); one that refused a number is processed again
// when it comes back, since a refusal must not stick to a retry. A webhook-id that comes back with
// another body is a sender's bug: 409, counted in IDReused.
//
// # Inspection
//
// List, Has, Entry, Entries, Deliveries and Stats expose the state; Seed and Delete change the
// list behind the sender's back. The same is served over HTTP, unsigned and uncounted:
//
//	GET  /sim/list      {"numbers":[...]}
//	GET  /sim/entries   {"entries":[Entry, ...]}
//	GET  /sim/stats     Stats
//	GET  /sim/faults    Faults
//	POST /sim/faults    Faults; replaces all, omitted keys are 0   -> 204
//	POST /sim/seed      {"numbers":[...]}                          -> 204
//	POST /sim/delete    {"numbers":[...]}                          -> 204
package webhooksim

import (
	"crypto/sha256"
	"encoding/json"
	"io"
	"maps"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/dncsync/dncsync/internal/simfault"
	"github.com/dncsync/dncsync/internal/stdwebhook"
)

// Config configures a receiver. Zero values get the defaults noted on each field.
type Config struct {
	// Secrets are the whsec_ secrets it accepts, space-separated. Default: DefaultSecret.
	Secrets string
	// Tolerance is how far webhook-timestamp may be from now. Default: stdwebhook.Tolerance.
	Tolerance time.Duration
	// Path receives the requests. Default: "/dnc".
	Path string
	// MaxBatch is the most numbers a request may carry (else 413). Default: 1000.
	MaxBatch int
	// RatePerMinute limits requests (all senders together); 0 means unlimited. Burst is the
	// bucket's capacity, default RatePerMinute.
	RatePerMinute, Burst int
	// Reject names numbers the receiver refuses on its own (status "rejected"); SetReject changes
	// it while serving.
	Reject func(number string) bool
	// AlwaysResults answers 200 with a result for every number instead of 204.
	AlwaysResults bool
	// Seed makes fault decisions reproducible; Logf receives one line per request; Now replaces
	// time.Now for signatures, rate limits and timestamps (slow faults still sleep).
	Seed int64
	Logf func(format string, args ...any)
	Now  func() time.Time
}

// DefaultSecret is the receiver's secret when Config.Secrets is empty: a fixed one, for demos.
const DefaultSecret = "whsec_ZG5jc3luYyB3ZWJob29rIHNpbXVsYXRvciBzZWNyZXQ="

func (c Config) withDefaults() Config {
	if c.Secrets == "" {
		c.Secrets = DefaultSecret
	}
	if c.Path == "" {
		c.Path = "/dnc"
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = 1000
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

// Entry is one number on the receiver's list.
type Entry struct {
	Number     string    `json:"phoneNumber"`
	Reason     string    `json:"reason,omitempty"`
	Source     string    `json:"source,omitempty"`
	ExpiresAt  time.Time `json:"expiresAt,omitzero"`
	OccurredAt time.Time `json:"occurredAt,omitzero"` // of the add that listed it
	UpdatedAt  time.Time `json:"updatedAt"`
}

// Delivery is one request the receiver processed (not a duplicate answered from memory).
type Delivery struct {
	ID        string    `json:"id"` // webhook-id
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Numbers   []string  `json:"numbers"` // applied
}

// Stats is a snapshot of what the receiver has seen.
type Stats struct {
	simfault.Counter     // requests by kind ("deliver", "unmatched") and status; faults
	BadSignatures    int `json:"badSignatures"`
	Duplicates       int `json:"duplicates"` // requests answered from memory: a webhook-id seen applied
	IDReused         int `json:"idReused"`   // a webhook-id seen before with another body
	Stale            int `json:"stale"`      // actions older than the last applied to their number
	RateLimited      int `json:"rateLimited"`
	Added            int `json:"added"`
	Updated          int `json:"updated"`
	Removed          int `json:"removed"`
	Rejected         int `json:"rejected"`
	Pings            int `json:"pings"`
}

// KindDeliver counts POSTs to Path; KindUnmatched other routes.
const (
	KindDeliver   = "deliver"
	KindUnmatched = "unmatched"
)

// Server is the receiver, an http.Handler safe for concurrent use.
type Server struct {
	cfg     Config
	mux     *http.ServeMux
	verify  stdwebhook.Verifier
	mu      sync.Mutex
	dice    *simfault.Dice
	faults  simfault.Faults
	limiter *simfault.Limiter
	list    map[string]*Entry
	last    map[string]time.Time      // number -> occurredAt of the last action applied
	seen    map[string]simfault.Reply // webhook-id -> the answer given, for requests applied whole
	bodies  map[string][32]byte       // webhook-id -> its body's hash
	reject  func(number string) bool
	log     []Delivery
	stats   Stats
}

// New returns a receiver for cfg; it panics on secrets stdwebhook cannot parse (a test's bug).
func New(cfg Config) *Server {
	cfg = cfg.withDefaults()
	secrets, err := stdwebhook.ParseSecrets(cfg.Secrets)
	if err != nil {
		panic("webhooksim: secrets: " + err.Error())
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(),
		verify: stdwebhook.Verifier{Secrets: secrets, Tolerance: cfg.Tolerance, Now: cfg.Now},
		dice:   simfault.NewDice(cfg.Seed), limiter: simfault.NewLimiter(cfg.RatePerMinute, cfg.Burst),
		list: map[string]*Entry{}, last: map[string]time.Time{}, seen: map[string]simfault.Reply{},
		bodies: map[string][32]byte{}, reject: cfg.Reject, stats: Stats{Counter: simfault.NewCounter()}}
	s.mux.HandleFunc("POST "+cfg.Path, s.deliver)
	s.routeInspect()
	return s
}

// Config returns the effective configuration.
func (s *Server) Config() Config { return s.cfg }

// Start serves on a free loopback port and returns the URL to POST to. It panics if it cannot
// listen, which only happens on a broken host.
func (s *Server) Start() (url string, stop func()) {
	base, stop, err := simfault.Listen("127.0.0.1:0", s, s.cfg.Logf)
	if err != nil {
		panic("webhooksim: listen: " + err.Error())
	}
	return base + s.cfg.Path, stop
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern == "" {
		sw := &simfault.StatusWriter{ResponseWriter: w, Status: http.StatusOK}
		s.mux.ServeHTTP(sw, r)
		s.mu.Lock()
		s.stats.Record(KindUnmatched, sw.Status)
		s.mu.Unlock()
		return
	}
	s.mux.ServeHTTP(w, r)
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

type body struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      struct {
		Action  string `json:"action"`
		Numbers []struct {
			PhoneNumber string     `json:"phoneNumber"`
			Reason      string     `json:"reason"`
			Source      string     `json:"source"`
			ExpiresAt   *time.Time `json:"expiresAt"`
			OccurredAt  *time.Time `json:"occurredAt"`
		} `json:"numbers"`
	} `json:"data"`
}

func (s *Server) deliver(w http.ResponseWriter, r *http.Request) {
	raw, readErr := simfault.ReadBody(r, 8<<20)
	now := s.cfg.Now()
	s.mu.Lock()
	s.stats.Observe(now)
	roll := s.dice.Roll(s.faults)
	if roll.Slow > 0 {
		s.stats.Fault(simfault.FaultSlow)
	}
	early := s.admitLocked(now, roll)
	s.mu.Unlock()
	if roll.Slow > 0 && !simfault.Sleep(r.Context(), roll.Slow) {
		s.finish(r, 0)
		return
	}
	var rep simfault.Reply
	switch {
	case early != nil:
		rep = *early
	case readErr != nil:
		rep = plain(http.StatusRequestEntityTooLarge, "body too large")
	default:
		rep = s.apply(r, raw, now)
	}
	if early == nil && roll.Lost {
		s.mu.Lock()
		s.stats.Fault(simfault.FaultLostAfterApply)
		s.mu.Unlock()
		s.finish(r, 0)
		simfault.DropConnection(w)
		return
	}
	s.finish(r, rep.Status)
	rep.Write(w)
}

// admitLocked decides the faults and the rate limit; caller holds s.mu.
func (s *Server) admitLocked(now time.Time, roll simfault.Roll) *simfault.Reply {
	if ok, wait := s.limiter.Take("", now); !ok {
		rep := plain(http.StatusTooManyRequests, "slow down")
		rep.Header.Set("Retry-After", simfault.RetryAfterSeconds(wait))
		s.stats.RateLimited++
		return &rep
	}
	switch {
	case roll.RateLimit:
		rep := plain(http.StatusTooManyRequests, "slow down")
		if ra := s.faults.InjectedRetryAfter(now); ra != "" {
			rep.Header.Set("Retry-After", ra)
		}
		s.stats.RateLimited++
		s.stats.Fault(simfault.FaultRateLimit429)
		return &rep
	case roll.ServerError != 0:
		rep := plain(roll.ServerError, http.StatusText(roll.ServerError))
		s.stats.Fault(simfault.FaultServerError)
		return &rep
	case roll.HTML:
		rep := simfault.HTMLBadGateway()
		s.stats.Fault(simfault.FaultHTMLError)
		return &rep
	}
	return nil
}

// apply checks a request and changes the list.
func (s *Server) apply(r *http.Request, raw []byte, now time.Time) simfault.Reply {
	if err := s.verify.Verify(r.Header, raw); err != nil {
		s.mu.Lock()
		s.stats.BadSignatures++
		s.mu.Unlock()
		return plain(http.StatusUnauthorized, err.Error())
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return plain(http.StatusUnsupportedMediaType, "application/json only")
	}
	var b body
	if err := strictJSON(raw, &b); err != nil {
		return plain(http.StatusBadRequest, err.Error())
	}
	want := map[string]string{"dnc.add": "add", "dnc.remove": "remove", "dnc.ping": "ping"}[b.Type]
	if want == "" || b.Data.Action != want || b.Timestamp.IsZero() || (want == "ping") != (len(b.Data.Numbers) == 0) {
		return plain(http.StatusBadRequest, "type, action and numbers do not agree")
	}
	if len(b.Data.Numbers) > s.cfg.MaxBatch {
		return plain(http.StatusRequestEntityTooLarge, "too many numbers")
	}
	seen := map[string]bool{}
	var latest time.Time
	for _, n := range b.Data.Numbers {
		if seen[n.PhoneNumber] || (want == "remove" && n.ExpiresAt != nil) || n.OccurredAt == nil {
			return plain(http.StatusBadRequest, "a number given twice, a number without occurredAt, or an expiry on a remove")
		}
		seen[n.PhoneNumber] = true
		if n.OccurredAt.After(latest) {
			latest = *n.OccurredAt
		}
	}
	if want != "ping" && !b.Timestamp.Equal(latest) {
		return plain(http.StatusBadRequest, "timestamp is not the time of the newest event (the latest occurredAt)")
	}
	id := r.Header.Get(stdwebhook.HeaderID)
	sum := sha256.Sum256(raw)
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev, ok := s.bodies[id]; ok && prev != sum {
		s.stats.IDReused++
		return plain(http.StatusConflict, "webhook-id seen before with another body")
	}
	s.bodies[id] = sum
	if rep, ok := s.seen[id]; ok {
		s.stats.Duplicates++
		return rep
	}
	var results []map[string]string
	var applied []string
	refused := false
	for _, n := range b.Data.Numbers {
		if !e164.MatchString(n.PhoneNumber) || (s.reject != nil && s.reject(n.PhoneNumber)) {
			results = append(results, map[string]string{"phoneNumber": n.PhoneNumber, "status": "rejected", "error": "not a number this receiver takes"})
			s.stats.Rejected++
			refused = true
			continue
		}
		if s.cfg.AlwaysResults {
			results = append(results, map[string]string{"phoneNumber": n.PhoneNumber, "status": "ok"})
		}
		at := n.OccurredAt.UTC()
		if last, ok := s.last[n.PhoneNumber]; ok && at.Before(last) {
			s.stats.Stale++ // a newer action stands
			continue
		}
		s.last[n.PhoneNumber] = at
		applied = append(applied, n.PhoneNumber)
		switch want {
		case "add":
			e := &Entry{Number: n.PhoneNumber, Reason: n.Reason, Source: n.Source, OccurredAt: at, UpdatedAt: now}
			if n.ExpiresAt != nil {
				e.ExpiresAt = n.ExpiresAt.UTC()
			}
			if s.list[n.PhoneNumber] != nil {
				s.stats.Updated++
			} else {
				s.stats.Added++
			}
			s.list[n.PhoneNumber] = e
		case "remove":
			if s.list[n.PhoneNumber] != nil {
				delete(s.list, n.PhoneNumber)
				s.stats.Removed++
			}
		}
	}
	if want == "ping" {
		s.stats.Pings++
	}
	s.log = append(s.log, Delivery{ID: id, Type: b.Type, Timestamp: b.Timestamp, Numbers: applied})
	rep := simfault.Empty(http.StatusNoContent)
	if len(results) > 0 {
		rep = simfault.JSON(http.StatusOK, map[string]any{"results": results})
	}
	if !refused {
		s.seen[id] = rep
	}
	return rep
}

// SetReject replaces Config.Reject: the numbers the receiver refuses on its own; nil refuses none.
func (s *Server) SetReject(reject func(number string) bool) {
	s.mu.Lock()
	s.reject = reject
	s.mu.Unlock()
}

// strictJSON decodes b into v, refusing unknown keys.
func strictJSON(b []byte, v any) error {
	d := json.NewDecoder(bytesReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return io.ErrUnexpectedEOF
	}
	return nil
}

func plain(status int, msg string) simfault.Reply {
	rep := simfault.Empty(status)
	rep.Header.Set("Content-Type", "text/plain; charset=utf-8")
	rep.Body = []byte(msg)
	return rep
}

func (s *Server) finish(r *http.Request, status int) {
	s.mu.Lock()
	s.stats.Record(KindDeliver, status)
	s.mu.Unlock()
	if s.cfg.Logf != nil {
		s.cfg.Logf("webhooksim: %s %s -> %d", r.Method, r.URL.Path, status)
	}
}

// SetFaults replaces the active faults (ExpireTokens does not apply: there are no tokens).
func (s *Server) SetFaults(f simfault.Faults) {
	s.mu.Lock()
	s.faults = f.Clamp()
	s.mu.Unlock()
}

// Faults returns the active faults.
func (s *Server) Faults() simfault.Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// Entries returns the list, sorted by number.
func (s *Server) Entries() []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Entry, 0, len(s.list))
	for _, n := range slices.Sorted(maps.Keys(s.list)) {
		out = append(out, *s.list[n])
	}
	return out
}

// List returns the listed numbers, sorted.
func (s *Server) List() []string {
	var out []string
	for _, e := range s.Entries() {
		out = append(out, e.Number)
	}
	return out
}

// Entry returns one entry.
func (s *Server) Entry(number string) (Entry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.list[number]
	if e == nil {
		return Entry{}, false
	}
	return *e, true
}

// Has reports whether number is listed.
func (s *Server) Has(number string) bool {
	_, ok := s.Entry(number)
	return ok
}

// Deliveries returns the requests applied, in order.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.stats
	out.Counter = s.stats.Snapshot()
	return out
}

// Seed lists numbers behind the sender's back.
func (s *Server) Seed(numbers ...string) {
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range numbers {
		s.list[n] = &Entry{Number: n, UpdatedAt: now}
	}
}

// Delete unlists numbers behind the sender's back.
func (s *Server) Delete(numbers ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range numbers {
		delete(s.list, n)
	}
}
