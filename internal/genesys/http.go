package genesys

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/destination/httpcall"
)

// caller sends API requests through the one API caller (httpcall): a cached token with one retry
// on a 401, the pacer, Retry-After, redirected writes refused, transport errors redacted.
type caller struct{ *httpcall.Caller }

// newCaller is the client's caller; now reads Retry-After dates.
func newCaller(hc *http.Client, pacer destination.Pacer, timeout time.Duration, tokens *destination.TokenCache,
	now func() time.Time) caller {
	return caller{httpcall.New(httpcall.Config{Dest: Dest, HTTP: hc, Pacer: pacer, Timeout: timeout, Tokens: tokens, Now: now,
		URLHint:      "check GENESYS_API_URL (or GENESYS_REGION)",
		RedirectHint: "set GENESYS_API_URL to the host it redirects to",
		Unauthorized: func(op string, r httpcall.Response) error {
			return configError(op, r.Status, "Genesys Cloud refused a fresh token; check GENESYS_REGION (a token "+
				"works in its own region only) and the OAuth client"+describe(response(r)))
		}})}
}

// response is the API caller's answer, as every destination's caller gives it, with Genesys's
// reading of its errors.
type response httpcall.Response

// do sends one API request. A 429 becomes a RateLimited error after the pacer was told, and a
// second 401 a Config error; every other status is returned for the operation to interpret.
func (c caller) do(ctx context.Context, op, method, u string, body any) (response, error) {
	r, err := c.Do(ctx, op, method, u, body)
	return response(r), err
}

// noAnswer is a transport failure: transient, redacted (httpcall.Redact: a download link's query
// carries a signature).
func noAnswer(op string, err error) *destination.Error {
	return httpcall.TransportError(Dest, op, "no answer", err)
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
	_ = json.Unmarshal(r.Body, &e)
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
		s = destination.ShortText(string(r.Body))
		if s == "" {
			s = "empty body"
		}
	}
	id := r.Header.Get("inin-correlation-id")
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
	return &destination.Error{Kind: destination.Transient, Dest: Dest, Op: op, Status: r.Status, Msg: "unexpected answer" + describe(r)}
}

// statusError classifies a status an operation did not expect. 403 and 404 are the deployment's
// (a role without the permission, a list that is not there); other 4xx are too, since no single
// number's fault reaches here; 408, 409 and 425 pass; 5xx and anything else are transient.
func statusError(op string, r response) *destination.Error {
	switch {
	case r.Status == http.StatusForbidden:
		return configError(op, r.Status, "the OAuth client's role lacks a permission (outbound:dnc:edit to change the list, "+
			"outbound:dncList:view to read it, outbound:dnc:view to export it)"+describe(r))
	case r.Status == http.StatusNotFound:
		return configError(op, r.Status, "no DNC list GENESYS_DNC_LIST_ID in this organization; check it and GENESYS_REGION"+describe(r))
	case r.Status == http.StatusRequestTimeout || r.Status == http.StatusConflict || r.Status == http.StatusTooEarly:
		return unexpected(op, r)
	case r.Status >= 400 && r.Status < 500:
		e := unexpected(op, r)
		e.Kind = destination.Config
		return e
	}
	return unexpected(op, r)
}
