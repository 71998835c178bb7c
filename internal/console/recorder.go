package console

import (
	"net/http"
	"sort"
	"sync"
	"time"
)

// Exchange is one request to a destination and its answer, as the page lists recent pushes.
type Exchange struct {
	At          time.Time
	Destination string // its name ("cxone"); "" through the Recorder itself
	Method      string
	Path        string // without the query, which may carry a number
	Status      int    // 0: no answer (Error says why)
	Error       string
	Duration    time.Duration
}

// Recorder is an http.RoundTripper that remembers the last Keep requests to each destination (For).
// It keeps no bodies: numbers stay out of the page, and the destinations' answers per number are
// in the audit trail.
type Recorder struct {
	Next http.RoundTripper // default http.DefaultTransport
	Keep int               // per destination; default 20

	mu    sync.Mutex
	rings map[string][]Exchange
}

// For is the transport of destination name's client: it records each request under name, so that
// a busy destination does not push another's requests off the page.
func (r *Recorder) For(name string) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) { return r.roundTrip(name, req) })
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// RoundTrip implements http.RoundTripper, recording under no destination's name.
func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) { return r.roundTrip("", req) }

func (r *Recorder) roundTrip(dest string, req *http.Request) (*http.Response, error) {
	next := r.Next
	if next == nil {
		next = http.DefaultTransport
	}
	start := time.Now()
	resp, err := next.RoundTrip(req)
	ex := Exchange{At: start, Destination: dest, Method: req.Method, Path: req.URL.Path, Duration: time.Since(start)}
	if err != nil {
		ex.Error = "no answer"
	} else {
		ex.Status = resp.StatusCode
	}
	keep := r.Keep
	if keep <= 0 {
		keep = 20
	}
	r.mu.Lock()
	if r.rings == nil {
		r.rings = map[string][]Exchange{}
	}
	ring := append(r.rings[dest], ex)
	if len(ring) > keep {
		ring = append(ring[:0], ring[len(ring)-keep:]...)
	}
	r.rings[dest] = ring
	r.mu.Unlock()
	return resp, err
}

// Recent returns the remembered exchanges of every destination, newest first.
func (r *Recorder) Recent() []Exchange {
	r.mu.Lock()
	var out []Exchange
	for _, ring := range r.rings {
		out = append(out, ring...)
	}
	r.mu.Unlock()
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.After(out[j].At) })
	return out
}
