package genesys

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
)

// caller sends API requests with a cached token, through the pacer, retrying once on 401.
type caller struct {
	http    *http.Client
	tokens  *destination.TokenCache
	pacer   destination.Pacer
	timeout time.Duration
	now     func() time.Time // reads Retry-After dates
}

type response struct {
	status int
	body   []byte
	header http.Header
}

// maxBody bounds what is read of an API answer: they are small; an HTML error page is cut.
const maxBody = 1 << 20

// do sends one API request. A 429 becomes a RateLimited error after the pacer was told, and a
// second 401 a Config error; every other status is returned for the operation to interpret.
func (c *caller) do(ctx context.Context, op, method, u string, body any) (response, error) {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return response{}, &destination.Error{Kind: destination.Permanent, Dest: Dest, Op: op, Msg: "encode request", Err: err}
		}
	}
	for try := 0; ; try++ {
		tok, err := c.tokens.Get(ctx)
		if err != nil {
			return response{}, err
		}
		if err := c.pacer.Wait(ctx); err != nil {
			return response{}, &destination.Error{Kind: destination.Transient, Dest: Dest, Op: op, Msg: "waiting for the rate limit", Err: err}
		}
		sent := time.Now()
		resp, err := c.send(ctx, op, method, u, tok, payload)
		if err != nil {
			return response{}, err
		}
		destination.Answered(c.pacer, sent)
		switch resp.status {
		case http.StatusUnauthorized:
			c.tokens.Invalidate(tok)
			if try == 0 {
				continue // the token expired early or was revoked: one retry with a new one
			}
			return resp, configError(op, resp.status, "Genesys Cloud refused a fresh token; check GENESYS_REGION (a token "+
				"works in its own region only) and the OAuth client"+describe(resp))
		case http.StatusTooManyRequests:
			pause := c.pacer.Throttled(destination.RetryAfter(resp.header, c.now()))
			return resp, &destination.Error{Kind: destination.RateLimited, Dest: Dest, Op: op, Status: resp.status, RetryAfter: pause}
		}
		if resp.status < 500 {
			c.pacer.OK()
		}
		return resp, nil
	}
}

// send makes one HTTP exchange. A request other than GET that the server redirected is refused:
// net/http would resend it as a GET after a 301, 302 or 303, and the GET's 2xx must never pass
// for a write's.
func (c *caller) send(ctx context.Context, op, method, u, tok string, payload []byte) (response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return response{}, configError(op, 0, "check GENESYS_API_URL (or GENESYS_REGION)")
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return response{}, noAnswer(op, err)
	}
	defer resp.Body.Close()
	if method != http.MethodGet && resp.Request != nil && resp.Request.URL.String() != req.URL.String() {
		return response{}, configError(op, resp.StatusCode, "the API redirected a "+method+
			"; set GENESYS_API_URL to the host it redirects to")
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return response{}, noAnswer(op, fmt.Errorf("read answer: %w", err))
	}
	return response{status: resp.StatusCode, body: b, header: resp.Header}, nil
}

// noAnswer is a transport failure: transient, without the URL (paths carry no numbers here, but a
// download link's query carries a signature).
func noAnswer(op string, err error) *destination.Error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &destination.Error{Kind: destination.Transient, Dest: Dest, Op: op, Msg: "no answer", Err: err}
}

// apiError is the API's error body (platform-client-sdk-go platformclientv2/apiresponse.go,
// APIError): the code names the cause; the message may quote the request, numbers included.
type apiError struct {
	Message   string `json:"message"`
	Code      string `json:"code"`
	Status    int    `json:"status"`
	ContextID string `json:"contextId"`
}

func (r response) apiError() apiError {
	var e apiError
	_ = json.Unmarshal(r.body, &e)
	return e
}

// describe is a log-safe account of an answer for an error message: the error code, the message
// with numbers redacted, and the correlation id Genesys support asks for (the inin-correlation-id
// header, platformclientv2/apiresponse.go). An answer that is not the API's JSON (an HTML gateway
// page) is quoted as a short excerpt.
func describe(r response) string {
	e := r.apiError()
	var s string
	switch {
	case e.Code != "" || e.Message != "":
		s = e.Code
		if m := destination.ShortText(e.Message); m != "" {
			if s != "" {
				s += ": "
			}
			s += m
		}
	default:
		s = destination.ShortText(string(r.body))
		if s == "" {
			s = "empty body"
		}
	}
	id := r.header.Get("inin-correlation-id")
	if id == "" {
		id = e.ContextID
	}
	if id != "" {
		s += " (correlation " + destination.ShortText(id) + ")"
	}
	return " (" + s + ")"
}

// unexpected is an answer the contract does not list: transient, with its description.
func unexpected(op string, r response) *destination.Error {
	return &destination.Error{Kind: destination.Transient, Dest: Dest, Op: op, Status: r.status, Msg: "unexpected answer" + describe(r)}
}

// statusError classifies a status an operation did not expect. 403 and 404 are the deployment's
// (a role without the permission, a list that is not there); other 4xx are too, since no single
// number's fault reaches here; 408, 409 and 425 pass; 5xx and anything else are transient.
func statusError(op string, r response) *destination.Error {
	switch {
	case r.status == http.StatusForbidden:
		return configError(op, r.status, "the OAuth client's role lacks a permission (outbound:dnc:edit to change the list, "+
			"outbound:dncList:view to read it, outbound:dnc:view to export it)"+describe(r))
	case r.status == http.StatusNotFound:
		return configError(op, r.status, "no DNC list GENESYS_DNC_LIST_ID in this organization; check it and GENESYS_REGION"+describe(r))
	case r.status == http.StatusRequestTimeout || r.status == http.StatusConflict || r.status == http.StatusTooEarly:
		return unexpected(op, r)
	case r.status >= 400 && r.status < 500:
		e := unexpected(op, r)
		e.Kind = destination.Config
		return e
	}
	return unexpected(op, r)
}
