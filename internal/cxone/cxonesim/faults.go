package cxonesim

import (
	"net/http"
	"time"
)

// Faults are probabilities (0..1) of misbehaviour, rolled once per API call
// (never for the token endpoint or /sim/). At most one of the answering
// faults (ExpireTokens, RateLimit429, ServerError, HTMLError, LostAfterApply)
// applies to a request, checked in that order; Slow combines with any of them.
type Faults struct {
	// RateLimit429 answers 429 even though the bucket has room.
	RateLimit429 float64
	// RetryAfter is the Retry-After header of injected 429s: "" omits it,
	// RetryAfterDate sends an HTTP-date 2s ahead, anything else is sent
	// verbatim (e.g. "2", or garbage to test a client's parser). The admin
	// profile ignores it: its 429s never carry Retry-After.
	RetryAfter string
	// ServerError answers 500, 502 or 503 (chosen at random) before the
	// request is applied.
	ServerError float64
	// Slow delays the answer by SlowDelay. The delay happens before the
	// request is applied; a client that times out meanwhile changes nothing.
	Slow      float64
	SlowDelay time.Duration
	// LostAfterApply applies the request, then closes the connection without
	// answering. The client sees a transport error and must converge on
	// retry (v2: an add then yields 409, a remove 404; admin: both simply
	// succeed again).
	LostAfterApply float64
	// ExpireTokens answers 401 to a valid token and invalidates it, as if it
	// expired early.
	ExpireTokens float64
	// HTMLError answers 502 with an HTML body, like a misbehaving gateway.
	HTMLError float64
}

// RetryAfterDate, as Faults.RetryAfter, sends an HTTP-date instead of seconds.
const RetryAfterDate = "date"

// Fault kinds, the keys of Stats.FaultsInjected. They match the JSON field
// names of Faults.
const (
	FaultRateLimit429   = "rateLimit429"
	FaultServerError    = "serverError"
	FaultSlow           = "slow"
	FaultLostAfterApply = "lostAfterApply"
	FaultExpireTokens   = "expireTokens"
	FaultHTMLError      = "htmlError"
)

// SetFaults replaces the active faults; probabilities are clamped to 0..1.
// It takes effect for requests admitted afterwards.
func (s *Server) SetFaults(f Faults) {
	for _, p := range []*float64{&f.RateLimit429, &f.ServerError, &f.Slow, &f.LostAfterApply, &f.ExpireTokens, &f.HTMLError} {
		*p = min(max(*p, 0), 1)
	}
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
	s.logf("cxonesim: faults set to %+v", f)
}

// Faults returns the active faults.
func (s *Server) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// roll is the fault outcome for one request.
type roll struct {
	expireToken bool
	rateLimit   bool
	serverError int // status code, 0 = none
	html        bool
	lost        bool
	slow        bool
}

var serverErrorCodes = [...]int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable}

// rollFaults decides the faults for one request. Caller holds s.mu. It always
// draws the same number of values, so with a fixed seed and request order
// changing one probability does not reshuffle the others' outcomes.
func (s *Server) rollFaults() roll {
	f := s.faults
	var draws [7]float64
	for i := range draws {
		draws[i] = s.rng.Float64()
	}
	var out roll
	out.slow = draws[0] < f.Slow && f.SlowDelay > 0
	switch {
	case draws[1] < f.ExpireTokens:
		out.expireToken = true
	case draws[2] < f.RateLimit429:
		out.rateLimit = true
	case draws[3] < f.ServerError:
		out.serverError = serverErrorCodes[int(draws[4]*float64(len(serverErrorCodes)))]
	case draws[5] < f.HTMLError:
		out.html = true
	case draws[6] < f.LostAfterApply:
		out.lost = true
	}
	return out
}

func htmlBadGateway() reply {
	h := http.Header{}
	h.Set("Content-Type", "text/html; charset=utf-8")
	body := "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n" +
		"<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
	return reply{status: http.StatusBadGateway, header: h, body: []byte(body)}
}
