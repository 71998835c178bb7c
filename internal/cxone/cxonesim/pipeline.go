package cxonesim

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/gate"
	"github.com/dncsync/dncsync/internal/simfault"
)

// apiHandler implements one API operation. It runs after authentication, rate
// limiting and fault injection have let the request through; org is the
// caller's organization.
type apiHandler func(r *http.Request, org string) reply

// apiProfile is what the shared pipeline needs to know about a profile.
type apiProfile struct {
	// name scopes tokens: a token is only good for the profile that issued it.
	name string
	// retryAfter says whether 429s carry Retry-After (v2) or never do (admin).
	retryAfter bool
}

// api wraps an operation with what every API call shares, regardless of
// profile: bearer auth, the per-organization bucket, faults and statistics.
func (s *Server) api(p apiProfile, kind string, h apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bufferBody(r)
		org, early, d := s.admit(p, r)

		if d.slow > 0 {
			if !simfault.Sleep(r.Context(), d.slow) {
				// The client gave up while we "processed"; nothing was applied.
				s.finish(kind, r, 0, "client went away during slow fault")
				return
			}
		}
		if early != nil {
			s.finish(kind, r, early.status, d.note)
			early.write(w)
			return
		}

		if !s.hold.Wait(r.Context()) {
			s.finish(kind, r, 0, "client went away while held")
			return
		}
		rep := h(r, org)
		if d.lost {
			s.mu.Lock()
			s.stats.fault(FaultLostAfterApply)
			s.mu.Unlock()
			s.finish(kind, r, 0, "applied, then connection dropped")
			simfault.DropConnection(w)
			return
		}
		s.finish(kind, r, rep.status, d.note)
		rep.write(w)
	})
}

// admitted carries what admit decided for the rest of the pipeline.
type admitted struct {
	slow time.Duration // sleep this long before answering (0 = no delay)
	lost bool          // drop the connection after applying
	note string        // for the log line
}

// admit does all per-request decisions under one lock acquisition: it counts
// the request, rolls the faults, checks the token and takes from the bucket.
// A non-nil reply means the request is answered without reaching the handler.
func (s *Server) admit(p apiProfile, r *http.Request) (org string, early *reply, d admitted) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()

	s.stats.observe(now)
	roll := s.rollFaults()
	if roll.slow {
		d.slow = s.faults.SlowDelay
		s.stats.fault(FaultSlow)
	}

	tok, ok := gate.Bearer(r) // the one rule dncsync reads bearer tokens by
	if !ok {
		return "", s.unauthorized(&d, "missing bearer token"), d
	}
	org, ok = s.tokens.lookup(tok, p.name, now)
	if !ok {
		return "", s.unauthorized(&d, "unknown, expired or revoked token"), d
	}
	if roll.expireToken {
		// Behave as if the token expired early: it stays invalid, so a client
		// that retries with the same token keeps failing until it refreshes.
		s.tokens.revoke(tok)
		s.stats.fault(FaultExpireTokens)
		return "", s.unauthorized(&d, "injected early token expiry"), d
	}

	if allowed, wait := s.limiter.take(org, now); !allowed {
		rep := errorReply(http.StatusTooManyRequests, "rate limit exceeded")
		d.note = "rate limited"
		if p.retryAfter {
			rep.header.Set("Retry-After", simfault.RetryAfterSeconds(wait))
			d.note += ", Retry-After " + rep.header.Get("Retry-After")
		}
		s.stats.RateLimited++
		return org, &rep, d
	}

	switch {
	case roll.rateLimit:
		rep := errorReply(http.StatusTooManyRequests, "rate limit exceeded")
		switch ra := s.faults.RetryAfter; {
		case !p.retryAfter, ra == "": // no header
		case ra == RetryAfterDate:
			rep.header.Set("Retry-After", now.Add(2*time.Second).UTC().Format(http.TimeFormat))
		default:
			rep.header.Set("Retry-After", ra)
		}
		s.stats.RateLimited++
		s.stats.fault(FaultRateLimit429)
		d.note = "injected 429"
		return org, &rep, d
	case roll.serverError != 0:
		rep := errorReply(roll.serverError, "%s", strings.ToLower(http.StatusText(roll.serverError)))
		s.stats.fault(FaultServerError)
		d.note = "injected server error"
		return org, &rep, d
	case roll.html:
		rep := htmlBadGateway()
		s.stats.fault(FaultHTMLError)
		d.note = "injected HTML 502"
		return org, &rep, d
	}
	d.lost = roll.lost
	return org, nil, d
}

func (s *Server) unauthorized(d *admitted, why string) *reply {
	rep := errorReply(http.StatusUnauthorized, "invalid_token")
	rep.header.Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	s.stats.Unauthorized++
	d.note = why
	return &rep
}

// finish records the outcome; status 0 means no response reached the client.
func (s *Server) finish(kind string, r *http.Request, status int, note string) {
	s.mu.Lock()
	s.stats.record(kind, status)
	s.mu.Unlock()
	if note != "" {
		note = " (" + note + ")"
	}
	s.logf("cxonesim: %s %s -> %d%s", r.Method, r.URL.Path, status, note)
}

// bufferBody reads the request body up front, as a real server receives the
// whole request before working on it. Only once the body is consumed does
// net/http watch the connection, so this is also what lets a slow fault
// notice a client that hung up. Read errors surface when handlers read.
func bufferBody(r *http.Request) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	var rd io.Reader = bytes.NewReader(b)
	if err != nil {
		rd = io.MultiReader(rd, errReader{err})
	}
	r.Body = io.NopCloser(rd)
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
