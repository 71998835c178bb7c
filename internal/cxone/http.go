package cxone

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/destination/httpcall"
)

// caller sends API requests through the one API caller (httpcall): a cached token with one retry
// on a 401, the pacer, Retry-After, redirected writes refused, transport errors redacted.
type caller struct{ *httpcall.Caller }

// newCaller is the caller of one API profile; header is sent on every API request.
func newCaller(hc *http.Client, pacer Pacer, timeout time.Duration, tokens *TokenCache, header http.Header) caller {
	return caller{httpcall.New(httpcall.Config{HTTP: hc, Pacer: pacer, Timeout: timeout, Tokens: tokens, Header: header,
		URLHint: "check CXONE_BASE_URL (or CXONE_API_BASE)",
		Unauthorized: func(op string, r httpcall.Response) error {
			return &Error{Kind: Config, Op: op, Status: r.Status,
				Msg: "CXone refused a fresh token; check the API client's scopes" + statusDescription(r)}
		}})}
}

// response is the API caller's answer, as every destination's caller gives it.
type response = httpcall.Response

// do sends one API request. A 429 becomes a RateLimited *Error after the pacer was told; every
// other status is returned for the profile to interpret.
func (c caller) do(ctx context.Context, op, method, url string, body any) (response, error) {
	return c.Do(ctx, op, method, url, body)
}

// unexpected turns an answer the contract does not list into a transient error with a short,
// log-safe excerpt (an HTML error page, an empty body, a changed JSON shape) and CXone's reason
// from the icStatusDescription header.
func unexpected(op string, r response) *Error {
	ex := destination.ShortText(string(r.Body))
	if ex == "" {
		ex = "empty body"
	}
	return &Error{Kind: Transient, Op: op, Status: r.Status, Msg: "unexpected answer: " + ex + statusDescription(r)}
}

// statusDescription is CXone's icStatusDescription header as a message suffix, or "". CXone often
// gives its reason there with an empty body (singer-io/tap-nice-incontact
// tap_nice_incontact/client.py reads it into its 4xx errors for that reason).
func statusDescription(r response) string {
	d := destination.ShortText(r.Header.Get("icStatusDescription"))
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
	case r.Status == http.StatusForbidden || r.Status == http.StatusNotFound:
		e.Kind = Config
	case r.Status >= 400 && r.Status < 500 && r.Status != http.StatusRequestTimeout && r.Status != 425:
		e.Kind = Refused
	}
	return e
}

var errNoJSON = errors.New("answer is not the JSON the contract describes")
