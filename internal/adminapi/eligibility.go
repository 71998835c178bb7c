package adminapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/dncsync/dncsync/internal/gate"
	"github.com/dncsync/dncsync/internal/ops"
)

// ReadOnly lets read's token (DNCSYNC_READ_TOKEN) into the read-only routes (eligibility) beside
// the admin token; it opens no other route. It returns h.
func (h *Handler) ReadOnly(read *gate.Guard) *Handler {
	h.read = read
	return h
}

// authRead guards a read-only route: the read token, or the admin token. A wrong token counts
// against the admin token's guard (the read token's when no admin token is set).
func (h *Handler) authRead(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tok, ok := gate.Bearer(r); ok && h.read.Is(tok) {
			w.Header().Set("Cache-Control", "no-store")
			next(w, r)
			return
		}
		g := h.admin
		if !g.Enabled() && h.read.Enabled() {
			g = h.read
		}
		h.guarded(g, next, "the eligibility API is disabled: set DNCSYNC_ADMIN_TOKEN or DNCSYNC_READ_TOKEN to enable it",
			"Authorization: Bearer $DNCSYNC_READ_TOKEN or $DNCSYNC_ADMIN_TOKEN required").ServeHTTP(w, r)
	})
}

// EligibilityRequest is the body of POST /v1/eligibility: the query's fields and the numbers.
type EligibilityRequest struct {
	ops.EligibilityQuery
	Numbers []string `json:"numbers"`
}

// EligibilityAnswer is the answer of POST /v1/eligibility: one result a number, in order.
type EligibilityAnswer struct {
	Results []ops.Eligibility `json:"results"`
}

// maxEligibilityBody holds 10,000 numbers in any format with room to spare.
const maxEligibilityBody = 2 << 20

func (h *Handler) eligibility(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	q := ops.EligibilityQuery{Channel: v.Get("channel"), Purpose: v.Get("purpose"), Brand: v.Get("brand"),
		Country: v.Get("country")}
	if !readAt(w, v.Get("at"), &q) {
		return
	}
	if v.Get("number") == "" {
		writeJSON(w, http.StatusBadRequest, errBody("number is required"))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	e, err := h.ops.Eligible(ctx, v.Get("number"), q)
	if err != nil {
		fail(w, err, "read")
		return
	}
	writeJSON(w, http.StatusOK, e)
}

func (h *Handler) eligibilityBatch(w http.ResponseWriter, r *http.Request) {
	var req EligibilityRequest
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxEligibilityBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeJSON(w, http.StatusRequestEntityTooLarge, errBody("body larger than 2 MiB: send at most 10000 numbers a request"))
		return
	case err != nil:
		writeJSON(w, http.StatusBadRequest, errBody("could not read the body"))
		return
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, errBody(`body must be JSON: {"numbers": [...], "channel": "sms", "purpose": "...", "brand": "..."}`))
		return
	}
	if len(req.Numbers) > ops.MaxEligibility {
		writeJSON(w, http.StatusRequestEntityTooLarge, errBody("at most 10000 numbers a request"))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 25*time.Second)
	defer cancel()
	res, err := h.ops.EligibleAll(ctx, req.Numbers, req.EligibilityQuery)
	if err != nil {
		fail(w, err, "read")
		return
	}
	// Compact: 10,000 answers are for a dialer to read, and indenting them doubles the bytes.
	writeEligibilityAnswer(w, res)
}

func readAt(w http.ResponseWriter, v string, q *ops.EligibilityQuery) bool {
	if v == "" {
		return true
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, errBody("at must be an RFC 3339 time"))
		return false
	}
	q.At = t
	return true
}

// Eligibility asks POST /v1/eligibility about numbers (at most ops.MaxEligibility); the answers are
// in the order of numbers.
func (c Client) Eligibility(ctx context.Context, numbers []string, q ops.EligibilityQuery) ([]ops.Eligibility, error) {
	var a EligibilityAnswer
	if err := c.call(ctx, http.MethodPost, "/v1/eligibility", EligibilityRequest{EligibilityQuery: q, Numbers: numbers}, &a); err != nil {
		return nil, err
	}
	if len(a.Results) != len(numbers) {
		return nil, fmt.Errorf("%s answered %d results for %d numbers", c.Base, len(a.Results), len(numbers))
	}
	return a.Results, nil
}
