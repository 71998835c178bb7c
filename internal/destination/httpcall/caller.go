// Package httpcall is the one way a destination sends an API request: through the destination's
// Pacer, with a bearer token from its cache (one retry on a 401), a timeout per exchange, the
// Retry-After of a 429 applied, redirected writes refused, and transport errors redacted. What an
// answer means is left to the destination; what the pusher must know (spend an attempt or not,
// how long to pause) travels in the *destination.Error it returns.
package httpcall

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
)

// MaxBody bounds what is read of an answer: APIs answer small; an HTML error page is cut.
const MaxBody = 1 << 20

// Config is what a Caller needs of its destination.
type Config struct {
	Dest    string                  // the destination's name in errors ("genesys"); empty: cxone
	HTTP    *http.Client            // nil: a new one; copied, never changed
	Pacer   destination.Pacer       // gates every request
	Timeout time.Duration           // per exchange
	Tokens  *destination.TokenCache // nil: no Authorization header
	Header  http.Header             // sent on every request; Accept defaults to application/json
	// Unauthorized builds the error of a 401 that a fresh token did not cure (with Tokens), or of
	// any 401 (without): nil returns the answer for the destination to interpret.
	Unauthorized func(op string, r Response) error
	// Prepare, when set, adds to a request's headers once its body is known (a signature).
	Prepare func(h http.Header, body []byte)
	// URLHint names the setting to check when a URL cannot make a request ("check CXONE_BASE_URL").
	URLHint string
	// RedirectHint follows the refusal of a redirected write ("set GENESYS_API_URL to the host it
	// redirects to").
	RedirectHint string
	Now          func() time.Time // reads Retry-After dates; nil: time.Now
}

// Response is one answer: its status, its body (at most MaxBody) and its headers.
type Response struct {
	Status int
	Body   []byte
	Header http.Header
}

// Caller sends a destination's API requests.
type Caller struct {
	cfg  Config
	http *http.Client
}

// New returns a Caller for cfg.
func New(cfg Config) *Caller {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Caller{cfg: cfg, http: RefuseRedirectedWrites(cfg.HTTP)}
}

// HTTP is the Caller's client (redirected writes refused), for requests that bypass Do (a token
// request, a download).
func (c *Caller) HTTP() *http.Client { return c.http }

// Tokens is the Caller's token cache, nil without one.
func (c *Caller) Tokens() *destination.TokenCache { return c.cfg.Tokens }

// Do sends one API request, body encoded as JSON unless nil (a []byte is sent as it is). A 429 is
// a RateLimited error after the pacer was told (no attempt spent, the pause in RetryAfter); a
// transport failure a Transient one; a refused redirect a Config one. Every other status is
// returned, with a nil error, for the destination to interpret.
func (c *Caller) Do(ctx context.Context, op, method, url string, body any) (Response, error) {
	payload, err := encode(body)
	if err != nil {
		return Response{}, &destination.Error{Kind: destination.Permanent, Dest: c.cfg.Dest, Op: op, Msg: "encode request", Err: err}
	}
	for try := 0; ; try++ {
		var tok string
		if c.cfg.Tokens != nil {
			t, err := c.cfg.Tokens.Get(ctx)
			if err != nil {
				return Response{}, err
			}
			tok = t
		}
		if err := c.cfg.Pacer.Wait(ctx); err != nil {
			return Response{}, &destination.Error{Kind: destination.Transient, Dest: c.cfg.Dest, Op: op, Msg: "waiting for the rate limit", Err: err}
		}
		sent := time.Now()
		r, err := c.send(ctx, op, method, url, tok, payload)
		if err != nil {
			return r, err
		}
		destination.Answered(ctx, c.cfg.Pacer, sent)
		switch r.Status {
		case http.StatusUnauthorized:
			if c.cfg.Tokens != nil {
				c.cfg.Tokens.Invalidate(tok)
				if try == 0 {
					continue // the token expired early or was revoked: one retry with a new one
				}
			}
			if c.cfg.Unauthorized != nil {
				return r, c.cfg.Unauthorized(op, r)
			}
		case http.StatusTooManyRequests:
			pause := c.cfg.Pacer.Throttled(ctx, destination.RetryAfter(r.Header, c.cfg.Now()))
			return r, &destination.Error{Kind: destination.RateLimited, Dest: c.cfg.Dest, Op: op, Status: r.Status, RetryAfter: pause}
		}
		if r.Status < 500 {
			c.cfg.Pacer.OK(ctx)
		}
		return r, nil
	}
}

func encode(body any) ([]byte, error) {
	switch b := body.(type) {
	case nil:
		return nil, nil
	case []byte:
		return b, nil
	}
	return json.Marshal(body)
}

// send makes one HTTP exchange.
func (c *Caller) send(ctx context.Context, op, method, url, tok string, payload []byte) (Response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		msg := c.cfg.URLHint
		if msg == "" {
			msg = "the URL is not usable"
		}
		return Response{}, &destination.Error{Kind: destination.Config, Dest: c.cfg.Dest, Op: op, Msg: msg}
	}
	req.Header.Set("Accept", "application/json")
	for k, v := range c.cfg.Header {
		req.Header[k] = v
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.cfg.Prepare != nil {
		c.cfg.Prepare(req.Header, payload)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if errors.Is(err, errRedirectedWrite) {
			status := 0
			if resp != nil {
				status = resp.StatusCode
			}
			return Response{}, c.redirected(op, method, status)
		}
		return Response{}, TransportError(c.cfg.Dest, op, "no answer", err, tok)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody))
	if err != nil && resp.StatusCode/100 == 2 {
		// The destination applied the request, or not: unknown, so never a success.
		return Response{}, TransportError(c.cfg.Dest, op, "answer cut off", err, tok)
	}
	return Response{Status: resp.StatusCode, Body: b, Header: resp.Header}, nil
}

func (c *Caller) redirected(op, method string, status int) *destination.Error {
	msg := "the API redirected a " + method
	if c.cfg.RedirectHint != "" {
		msg += "; " + c.cfg.RedirectHint
	}
	return &destination.Error{Kind: destination.Config, Dest: c.cfg.Dest, Op: op, Status: status, Msg: msg}
}

// Pacer is the Caller's pacer, for requests that bypass Do.
func (c *Caller) Pacer() destination.Pacer { return c.cfg.Pacer }
