package cxonesim

import (
	"net/http"

	"github.com/dncsync/dncsync/internal/simfault"
)

// Faults are probabilities (0..1) of misbehaviour, rolled once per API call
// (never for the token endpoint or /sim/). At most one of the answering
// faults (ExpireTokens, RateLimit429, ServerError, HTMLError, LostAfterApply)
// applies to a request, checked in that order; Slow combines with any of them.
// They are every simulator's (internal/simfault), with the same JSON at
// /sim/faults. The admin profile ignores RetryAfter: its 429s never carry it.
// A request lost after it was applied converges on retry (v2: an add then
// yields 409, a remove 404; admin: both simply succeed again).
type Faults = simfault.Faults

// RetryAfterDate, as Faults.RetryAfter, sends an HTTP-date instead of seconds.
const RetryAfterDate = simfault.RetryAfterDate

// Fault kinds, the keys of Stats.FaultsInjected. They match the JSON field
// names of Faults.
const (
	FaultRateLimit429   = simfault.FaultRateLimit429
	FaultServerError    = simfault.FaultServerError
	FaultSlow           = simfault.FaultSlow
	FaultLostAfterApply = simfault.FaultLostAfterApply
	FaultExpireTokens   = simfault.FaultExpireTokens
	FaultHTMLError      = simfault.FaultHTMLError
)

// SetFaults replaces the active faults; probabilities are clamped to 0..1.
// It takes effect for requests admitted afterwards.
func (s *Server) SetFaults(f Faults) {
	f = f.Clamp()
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

// HoldRequests keeps every API request that would reach the list waiting, unapplied and
// unanswered, until release is called; arrived is closed once one waits. A test stops its client
// after arrived, so that a request is provably in flight at the stop. A request whose client goes
// away while held is not applied.
func (s *Server) HoldRequests() (arrived <-chan struct{}, release func()) {
	return s.hold.Close(), s.hold.Open
}
