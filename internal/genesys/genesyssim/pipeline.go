package genesyssim

import (
	"fmt"
	"net/http"

	"github.com/dncsync/dncsync/internal/gate"
	"github.com/dncsync/dncsync/internal/simfault"
)

// maxBody bounds a request body.
const maxBody = 1 << 20

// apiHandler is one API operation. It runs after authentication, the rate limit and fault
// injection have let the request through; body is the whole request body.
type apiHandler func(r *http.Request, body []byte) simfault.Reply

// handle mounts an API operation with what every API call shares: bearer auth, the per-client
// bucket, faults, statistics and the correlation header.
func (s *Server) handle(pattern, kind string, h apiHandler) {
	s.api.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		body, readErr := simfault.ReadBody(r, maxBody)
		early, roll := s.admit(r)
		if roll.Slow > 0 && !simfault.Sleep(r.Context(), roll.Slow) {
			s.finish(kind, r, 0, "client went away during a slow answer") // nothing applied
			return
		}
		var rep simfault.Reply
		switch {
		case early != nil:
			rep = *early
		case readErr != nil:
			rep = apiError(http.StatusRequestEntityTooLarge, "request.entity.too.large", "The request is over the size limit.")
		default:
			rep = h(r, body)
		}
		if early == nil && roll.Lost {
			s.mu.Lock()
			s.stats.Fault(simfault.FaultLostAfterApply)
			s.mu.Unlock()
			s.finish(kind, r, 0, "applied, then the connection dropped")
			simfault.DropConnection(w)
			return
		}
		if rep.Header.Get("inin-correlation-id") == "" {
			rep.Header.Set("inin-correlation-id", randomHex(16))
		}
		s.finish(kind, r, rep.Status, "")
		rep.Write(w)
	})
}

// admit makes every per-request decision under one lock: it counts the request, rolls the
// faults, checks the token and takes from the bucket. A non-nil reply answers the request without
// reaching the operation.
func (s *Server) admit(r *http.Request) (*simfault.Reply, simfault.Roll) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Observe(now)
	roll := s.dice.Roll(s.faults)
	if roll.Slow > 0 {
		s.stats.Fault(simfault.FaultSlow)
	}
	tok, _ := gate.Bearer(r) // the one rule dncsync reads bearer tokens by
	t, ok := s.tokens[tok]
	if !ok || !now.Before(t.expires) {
		return s.unauthorized(), roll
	}
	if roll.ExpireToken {
		delete(s.tokens, tok) // it stays invalid: a client retrying with it keeps failing
		s.stats.Fault(simfault.FaultExpireTokens)
		return s.unauthorized(), roll
	}
	if ok, wait := s.limiter.Take(t.client, now); !ok {
		rep := tooManyRequests()
		rep.Header.Set("Retry-After", simfault.RetryAfterSeconds(wait))
		s.stats.RateLimited++
		return &rep, roll
	}
	switch {
	case roll.RateLimit:
		rep := tooManyRequests()
		if ra := s.faults.InjectedRetryAfter(now); ra != "" {
			rep.Header.Set("Retry-After", ra)
		}
		s.stats.RateLimited++
		s.stats.Fault(simfault.FaultRateLimit429)
		return &rep, roll
	case roll.ServerError != 0:
		rep := apiError(roll.ServerError, "internal.server.error", "The server encountered an unexpected condition.")
		s.stats.Fault(simfault.FaultServerError)
		return &rep, roll
	case roll.HTML:
		rep := simfault.HTMLBadGateway()
		s.stats.Fault(simfault.FaultHTMLError)
		return &rep, roll
	}
	return nil, roll
}

func (s *Server) unauthorized() *simfault.Reply {
	s.stats.Unauthorized++
	rep := apiError(http.StatusUnauthorized, "bad.credentials", "Invalid login credentials.")
	return &rep
}

func tooManyRequests() simfault.Reply {
	return apiError(http.StatusTooManyRequests, "too.many.requests", "Rate limit exceeded the maximum.")
}

// finish records the outcome; status 0 means no answer reached the client.
func (s *Server) finish(kind string, r *http.Request, status int, note string) {
	s.mu.Lock()
	s.stats.Record(kind, status)
	s.mu.Unlock()
	if note != "" {
		note = " (" + note + ")"
	}
	s.logf("genesyssim: %s %s -> %d%s", r.Method, r.URL.Path, status, note)
}

// apiError is the API's error body, ErrorBody (platform-client-sdk-go
// platformclientv2/apiresponse.go, APIError): {"message","code","status","contextId",...}.
func apiError(status int, code, format string, args ...any) simfault.Reply {
	ctx := randomHex(16)
	rep := simfault.JSON(status, map[string]any{
		"message": fmt.Sprintf(format, args...), "code": code, "status": status,
		"contextId": ctx, "details": []any{}, "errors": []any{},
	})
	rep.Header.Set("inin-correlation-id", ctx)
	return rep
}
