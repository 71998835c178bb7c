package gate

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"math/bits"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"
)

// Defaults of a Guard's back-off (Config).
const (
	// FreeFailures is how many wrong secrets in a row a client may send before it is backed off.
	FreeFailures = 5
	// FirstBackoff is the back-off after the FreeFailures-th failure; each further failure doubles
	// it, up to MaxBackoff.
	FirstBackoff = time.Second
	MaxBackoff   = 15 * time.Minute
	// Forget: a client without a failure for this long (and not backed off) starts over.
	Forget = 15 * time.Minute
	// MaxClients bounds the clients remembered (about 100 bytes each). Past it, new clients share
	// one record, so an attacker with many addresses is backed off as one and memory stays bounded.
	MaxClients = 10000
)

// Config configures a Guard.
type Config struct {
	Realm string // names the guarded thing in logs and metrics: "admin", "metrics"
	// Token is the secret; empty: the door is closed (Check answers Disabled).
	Token   string
	Logger  *slog.Logger // nil: slog.Default()
	Metrics *Metrics     // nil: not counted
	Now     func() time.Time
	// The back-off; zero values take the defaults above.
	FreeFailures int
	FirstBackoff time.Duration
	MaxBackoff   time.Duration
	Forget       time.Duration
	MaxClients   int
}

// Guard checks one secret and accounts for the failed attempts to guess it: each is counted
// (Metrics), logged with the client's address but never what it sent (the first FreeFailures of a
// run, then once each time the run doubles), and after FreeFailures in a row the client is backed
// off: its wrong attempts are answered 429 with a Retry-After that doubles with every further
// failure. The right secret is accepted at once, backed off or not, so that an operator is never
// locked out by someone else's guesses (behind a proxy every client may share one address).
type Guard struct {
	realm   string
	token   string
	log     *slog.Logger
	m       *Metrics
	now     func() time.Time
	clients *clients
}

// New returns a Guard; safe for concurrent use.
func New(c Config) *Guard {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.FreeFailures, FreeFailures)
	def(&c.MaxClients, MaxClients)
	defDur(&c.FirstBackoff, FirstBackoff)
	defDur(&c.MaxBackoff, MaxBackoff)
	defDur(&c.Forget, Forget)
	return &Guard{realm: c.Realm, token: c.Token, log: c.Logger, m: c.Metrics, now: c.Now,
		clients: &clients{m: map[string]*record{}, max: c.MaxClients, free: c.FreeFailures,
			first: c.FirstBackoff, most: c.MaxBackoff, forget: c.Forget}}
}

// Enabled reports whether a secret is configured.
func (g *Guard) Enabled() bool { return g != nil && g.token != "" }

// Verdict is what Check made of an attempt.
type Verdict int

const (
	OK        Verdict = iota // the right secret
	Disabled                 // no secret is configured: the door is closed (403)
	Missing                  // no secret was presented (401; not a failed attempt)
	Wrong                    // a wrong secret (401)
	Throttled                // a wrong secret from a backed-off client (429)
)

// Result is Check's answer. RetryAfter is set when the client is backed off.
type Result struct {
	Verdict    Verdict
	RetryAfter time.Duration
}

// Status is the HTTP status that answers r.
func (r Result) Status() int {
	switch r.Verdict {
	case OK:
		return http.StatusOK
	case Disabled:
		return http.StatusForbidden
	case Throttled:
		return http.StatusTooManyRequests
	}
	return http.StatusUnauthorized
}

// Deny sets the headers of a refusal: the challenge of a 401 (none when challenge is empty), the
// Retry-After of a back-off.
func (r Result) Deny(w http.ResponseWriter, challenge string) {
	if (r.Verdict == Missing || r.Verdict == Wrong) && challenge != "" {
		w.Header().Set("WWW-Authenticate", challenge)
	}
	if r.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(int64((r.RetryAfter+time.Second-1)/time.Second), 10))
	}
}

// Message says why r refused, for the answer's body.
func (r Result) Message() string {
	if r.Verdict == Throttled {
		return fmt.Sprintf("too many failed attempts from your address; try again in %s", r.RetryAfter.Round(time.Second))
	}
	return ""
}

// Key derives a key for label from the secret (HMAC-SHA256): what is signed with it stops being
// valid when the secret changes. Nil when no secret is configured.
func (g *Guard) Key(label string) []byte {
	if !g.Enabled() {
		return nil
	}
	m := hmac.New(sha256.New, []byte(g.token))
	m.Write([]byte(label))
	return m.Sum(nil)
}

// CheckBearer checks r's bearer token (Bearer).
func (g *Guard) CheckBearer(r *http.Request) Result {
	tok, ok := Bearer(r)
	if !ok {
		if !g.Enabled() {
			return Result{Verdict: Disabled}
		}
		return Result{Verdict: Missing}
	}
	return g.Check(r, tok)
}

// Check checks a secret that r's client presented (a bearer token, a login form's field).
func (g *Guard) Check(r *http.Request, got string) Result {
	if !g.Enabled() {
		return Result{Verdict: Disabled}
	}
	client := ClientKey(r)
	if Match(got, g.token) {
		if n := g.clients.succeed(client); n >= 0 && g.m != nil {
			g.m.Clients.WithLabelValues(g.realm).Set(float64(n))
		}
		return Result{Verdict: OK}
	}
	now := g.now()
	f := g.clients.fail(client, now)
	res := Result{Verdict: Wrong}
	if f.until.After(now) {
		res.RetryAfter = f.until.Sub(now)
	}
	if f.backedOff {
		res.Verdict = Throttled
	}
	if g.m != nil {
		g.m.Failures.WithLabelValues(g.realm).Inc()
		if res.Verdict == Throttled {
			g.m.Throttled.WithLabelValues(g.realm).Inc()
		}
		g.m.Clients.WithLabelValues(g.realm).Set(float64(f.tracked))
	}
	// Every attempt outside a back-off, then one line each time a run doubles: a flood of guesses
	// shows without flooding the log.
	if !f.backedOff || bits.OnesCount(uint(f.fails)) == 1 {
		attrs := []any{"realm", g.realm, "client", f.key, "method", r.Method, "path", r.URL.Path,
			"failures_in_a_row", f.fails}
		if res.RetryAfter > 0 {
			attrs = append(attrs, "backed_off_for", res.RetryAfter.Round(time.Millisecond).String())
		}
		g.log.Warn("authentication failed: wrong secret", attrs...)
	}
	return res
}

// ClientKey is who r comes from, for the back-off: its peer's address; an IPv6 address by its /64,
// the block one host usually holds. Forwarding headers are not trusted: a client could name itself
// anything. Behind a proxy every client is then the proxy, which is why the right secret always
// works at once.
func ClientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
