package cxone

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
)

// caller sends API requests with a cached token, through the pacer, retrying once on 401.
type caller struct {
	http    *http.Client
	tokens  *TokenCache
	pacer   Pacer
	timeout time.Duration
	header  http.Header // sent on every API request (version, Accept)
}

type response struct {
	status int
	body   []byte
	header http.Header
}

// maxBody bounds what is read of an answer: CXone's are small; an HTML error page is cut.
const maxBody = 1 << 20

// do sends one API request. A 429 becomes a RateLimited *Error after the pacer was told; every
// other status is returned for the profile to interpret.
func (c *caller) do(ctx context.Context, op, method, url string, body any) (response, error) {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return response{}, &Error{Kind: Permanent, Op: op, Msg: "encode request", Err: err}
		}
	}
	for try := 0; ; try++ {
		tok, err := c.tokens.Get(ctx)
		if err != nil {
			return response{}, err
		}
		if err := c.pacer.Wait(ctx); err != nil {
			return response{}, &Error{Kind: Transient, Op: op, Msg: "waiting for the rate limit", Err: err}
		}
		sent := time.Now()
		resp, err := c.send(ctx, method, url, tok, payload)
		if err != nil {
			return response{}, &Error{Kind: Transient, Op: op, Msg: "no answer", Err: err}
		}
		destination.Answered(c.pacer, sent)
		switch resp.status {
		case http.StatusUnauthorized:
			c.tokens.Invalidate(tok)
			if try == 0 {
				continue // the token expired early or was revoked: one retry with a new one
			}
			return resp, &Error{Kind: Config, Op: op, Status: resp.status,
				Msg: "CXone refused a fresh token; check the API client's scopes" + statusDescription(resp)}
		case http.StatusTooManyRequests:
			pause := c.pacer.Throttled(retryAfter(resp.header, time.Now()))
			return resp, &Error{Kind: RateLimited, Op: op, Status: resp.status, RetryAfter: pause}
		}
		if resp.status < 500 {
			c.pacer.OK()
		}
		return resp, nil
	}
}

func (c *caller) send(ctx context.Context, method, url, tok string, payload []byte) (response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return response{}, err
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *neturl.Error
		if errors.As(err, &ue) {
			ue.URL = redactNumbers(ue.URL) // paths and queries carry numbers; errors get logged
		}
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return response{}, fmt.Errorf("read answer: %w", err)
	}
	return response{status: resp.StatusCode, body: b, header: resp.Header}, nil
}

// maxRetryAfter caps a Retry-After: a pause longer than a lease would only make leases expire.
const maxRetryAfter = destination.MaxRetryAfter

// retryAfter reads Retry-After as seconds or an HTTP date, capped; 0 when absent or unusable.
func retryAfter(h http.Header, now time.Time) time.Duration { return destination.RetryAfter(h, now) }

// unexpected turns an answer the contract does not list into a transient error with a short,
// log-safe excerpt (an HTML error page, an empty body, a changed JSON shape) and CXone's reason
// from the icStatusDescription header.
func unexpected(op string, r response) *Error {
	ex := shortText(string(r.body))
	if ex == "" {
		ex = "empty body"
	}
	return &Error{Kind: Transient, Op: op, Status: r.status, Msg: "unexpected answer: " + ex + statusDescription(r)}
}

// statusDescription is CXone's icStatusDescription header as a message suffix, or "". CXone often
// gives its reason there with an empty body (singer-io/tap-nice-incontact
// tap_nice_incontact/client.py reads it into its 4xx errors for that reason).
func statusDescription(r response) string {
	d := shortText(r.header.Get("icStatusDescription"))
	if d == "" {
		return ""
	}
	return " (CXone: " + d + ")"
}

// statusError classifies a status the profile did not expect for op. Another 4xx is a refusal
// that names no cause CXone documents: Refused, whose fault the pusher decides (an API version or
// a format the public sources do not settle would read the same as a bad number).
func statusError(op string, r response) *Error {
	e := unexpected(op, r)
	switch {
	case r.status == http.StatusForbidden || r.status == http.StatusNotFound:
		e.Kind = Config
	case r.status >= 400 && r.status < 500 && r.status != http.StatusRequestTimeout && r.status != 425:
		e.Kind = Refused
	}
	return e
}

var errNoJSON = errors.New("answer is not the JSON the contract describes")
