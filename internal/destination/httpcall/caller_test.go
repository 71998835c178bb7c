package httpcall_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/destination/httpcall"
)

// pacer records what the caller told it.
type pacer struct {
	mu        sync.Mutex
	waits     int
	ok        int
	throttled []time.Duration
}

func (p *pacer) Wait(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.waits++
	return ctx.Err()
}

func (p *pacer) Throttled(_ context.Context, d time.Duration) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.throttled = append(p.throttled, d)
	if d == 0 {
		d = time.Second // the pacer's own back-off
	}
	return d
}

func (p *pacer) OK(context.Context) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ok++
}

func newCaller(t *testing.T, cfg httpcall.Config) (*httpcall.Caller, *pacer) {
	t.Helper()
	p := &pacer{}
	cfg.Pacer = p
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	return httpcall.New(cfg), p
}

func server(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// A write the server redirects is refused whatever the redirect's status, and the target never
// sees it: a 301-303 would turn it into a GET whose 2xx must not pass for the write's, a 307 or
// 308 would send numbers and token to a host nobody configured. A GET is followed.
func TestRedirectedWritesAreRefused(t *testing.T) {
	var reached atomic.Int32
	target := server(t, func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		w.WriteHeader(http.StatusOK)
	})
	for _, code := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		redirector := server(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.URL+"/elsewhere", code)
		})
		c, _ := newCaller(t, httpcall.Config{Dest: "test", RedirectHint: "set TEST_URL to the host it redirects to"})
		for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			_, err := c.Do(context.Background(), "write", method, redirector.URL+"/list", map[string]string{"a": "b"})
			var e *destination.Error
			if !errors.As(err, &e) || e.Kind != destination.Config || e.Status != code ||
				!strings.Contains(e.Msg, "redirected a "+method) || !strings.Contains(e.Msg, "TEST_URL") {
				t.Errorf("%s redirected by %d: %v, want a Config error naming the setting", method, code, err)
			}
		}
		r, err := c.Do(context.Background(), "read", http.MethodGet, redirector.URL+"/list", nil)
		if err != nil || r.Status != http.StatusOK {
			t.Errorf("a GET redirected by %d: %d %v, want it followed", code, r.Status, err)
		}
	}
	if n := reached.Load(); n != 5 {
		t.Fatalf("the redirects' target saw %d requests, want only the 5 GETs", n)
	}
}

// The refusal keeps a client's own redirect policy for reads, and never changes the client given.
func TestRefuseRedirectedWritesCopiesTheClient(t *testing.T) {
	own := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	hc := httpcall.RefuseRedirectedWrites(own)
	if hc == own || own.CheckRedirect(nil, nil) != http.ErrUseLastResponse {
		t.Fatal("the client given was changed")
	}
	srv := server(t, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/there", http.StatusFound) })
	resp, err := hc.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("a GET with the client's own policy: %d, want the 302 itself", resp.StatusCode)
	}
}

// A transport error names the URL's host and path, never a number, a query value or the token.
func TestTransportErrorsAreRedacted(t *testing.T) {
	const token = "tok-secret-0123456789"
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler) // the connection drops
	})
	tokens := destination.NewTokenCache(func(context.Context) (destination.Token, error) {
		return destination.Token{Value: token, Expires: time.Now().Add(time.Hour), TTL: time.Hour}, nil
	})
	c, p := newCaller(t, httpcall.Config{Dest: "test", Tokens: tokens})
	u := strings.Replace(srv.URL, "http://", "http://user:"+token+"@", 1) + "/numbers/+14155552671?phone=4155552671&sig=" + token
	_, err := c.Do(context.Background(), "add", http.MethodPost, u, nil)
	var e *destination.Error
	if !errors.As(err, &e) || e.Kind != destination.Transient {
		t.Fatalf("a dropped connection: %v, want Transient", err)
	}
	msg := err.Error()
	for _, leak := range []string{"4155552671", token, "user:"} {
		if strings.Contains(msg, leak) {
			t.Errorf("the error quotes %q: %s", leak, msg)
		}
	}
	if !strings.Contains(msg, "/numbers/") || !strings.Contains(msg, "phone=...") {
		t.Errorf("the error lost the URL's path or query keys: %s", msg)
	}
	if p.ok != 0 {
		t.Errorf("a failed exchange told the pacer OK")
	}
}

func TestRedactText(t *testing.T) {
	got := httpcall.RedactText("token abcd1234 for (415) 555-2671 at 12:00", "abcd1234")
	if got != "token [redacted] for (###) ###-#### at 12:00" {
		t.Fatalf("RedactText: %q", got)
	}
}

// An answer slower than the timeout is a Transient error that still says it was a deadline.
func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	c, _ := newCaller(t, httpcall.Config{Timeout: 50 * time.Millisecond})
	_, err := c.Do(context.Background(), "add", http.MethodPost, srv.URL, nil)
	if destination.KindOf(err) != destination.Transient || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a slow answer: %v, want Transient wrapping the deadline", err)
	}
}

// A 429 is RateLimited (no attempt spent) with the pause the pacer applied from Retry-After.
func TestTooManyRequests(t *testing.T) {
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	c, p := newCaller(t, httpcall.Config{})
	_, err := c.Do(context.Background(), "add", http.MethodPost, srv.URL, nil)
	var e *destination.Error
	if !errors.As(err, &e) || e.Kind != destination.RateLimited || e.RetryAfter != 7*time.Second {
		t.Fatalf("a 429: %v, want RateLimited for 7s", err)
	}
	if len(p.throttled) != 1 || p.throttled[0] != 7*time.Second || p.ok != 0 {
		t.Fatalf("the pacer heard %v throttles and %d OKs", p.throttled, p.ok)
	}
}

// A 401 gets one retry with a fresh token; a second is the destination's Unauthorized error.
func TestUnauthorizedRetriesOnce(t *testing.T) {
	var fetched, seen atomic.Int32
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		seen.Add(1)
		if r.Header.Get("Authorization") == "Bearer t2" && r.URL.Path == "/ok" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
	})
	tokens := destination.NewTokenCache(func(context.Context) (destination.Token, error) {
		n := fetched.Add(1)
		return destination.Token{Value: "t" + string(rune('0'+n)), Expires: time.Now().Add(time.Hour), TTL: time.Hour}, nil
	})
	c, _ := newCaller(t, httpcall.Config{Tokens: tokens, Unauthorized: func(op string, r httpcall.Response) error {
		return &destination.Error{Kind: destination.Config, Op: op, Status: r.Status, Msg: "check the credentials"}
	}})
	if r, err := c.Do(context.Background(), "add", http.MethodPost, srv.URL+"/ok", nil); err != nil || r.Status != http.StatusNoContent {
		t.Fatalf("a 401 then a fresh token: %d %v", r.Status, err)
	}
	_, err := c.Do(context.Background(), "add", http.MethodPost, srv.URL+"/never", nil)
	if destination.KindOf(err) != destination.Config || seen.Load() != 4 {
		t.Fatalf("two 401s: %v after %d requests, want Config after 4 in all", err, seen.Load())
	}
}

// Every request carries the configured headers, JSON's Content-Type with a body, and what
// Prepare adds once the body is known.
func TestHeaders(t *testing.T) {
	var got http.Header
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.WriteHeader(http.StatusOK)
	})
	c, _ := newCaller(t, httpcall.Config{Header: http.Header{"X-Version": {"2"}},
		Prepare: func(h http.Header, body []byte) { h.Set("X-Length", string(rune('0'+len(body)))) }})
	if _, err := c.Do(context.Background(), "add", http.MethodPost, srv.URL, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if got.Get("X-Version") != "2" || got.Get("Content-Type") != "application/json" ||
		got.Get("Accept") != "application/json" || got.Get("X-Length") != "2" || got.Get("Authorization") != "" {
		t.Fatalf("headers sent: %v", got)
	}
}
