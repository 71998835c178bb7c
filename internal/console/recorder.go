package console

import (
	"net/http"
	"sync"
	"time"
)

// Exchange is one request to CXone and its answer, as the page lists recent pushes.
type Exchange struct {
	At       time.Time
	Method   string
	Path     string // without the query, which may carry a number
	Status   int    // 0: no answer (Error says why)
	Error    string
	Duration time.Duration
}

// Recorder is an http.RoundTripper that remembers the last Keep requests to CXone. It keeps no
// bodies: numbers stay out of the page, and CXone's answers per number are in the audit trail.
type Recorder struct {
	Next http.RoundTripper // default http.DefaultTransport
	Keep int               // default 20

	mu   sync.Mutex
	ring []Exchange
}

// RoundTrip implements http.RoundTripper.
func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	next := r.Next
	if next == nil {
		next = http.DefaultTransport
	}
	start := time.Now()
	resp, err := next.RoundTrip(req)
	ex := Exchange{At: start, Method: req.Method, Path: req.URL.Path, Duration: time.Since(start)}
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
	r.ring = append(r.ring, ex)
	if len(r.ring) > keep {
		r.ring = append(r.ring[:0], r.ring[len(r.ring)-keep:]...)
	}
	r.mu.Unlock()
	return resp, err
}

// Recent returns the remembered exchanges, newest first.
func (r *Recorder) Recent() []Exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Exchange, len(r.ring))
	for i, e := range r.ring {
		out[len(r.ring)-1-i] = e
	}
	return out
}
