// Package adminapi is the operator's HTTP API under /v1 (a number's state and history, the queue's
// status, dead letters, rejections, reconcile) and its client, which the commands use with --server.
// Every route needs the admin bearer token; without one configured it answers 403. The actions
// themselves are internal/ops', which the commands also call directly on a store.
package adminapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/dncsync/dncsync/internal/gate"
	"github.com/dncsync/dncsync/internal/ops"
	"github.com/dncsync/dncsync/internal/printable"
	"github.com/dncsync/dncsync/internal/queue"
)

// Handler serves the /v1 API over the operator's actions.
type Handler struct {
	ops *ops.Ops
	// admin checks DNCSYNC_ADMIN_TOKEN and accounts for failed attempts (the status page shares it).
	admin *gate.Guard
	// read checks DNCSYNC_READ_TOKEN, which opens the read-only routes alone (ReadOnly); nil: none.
	read *gate.Guard
}

// New returns the API over o behind admin's token; without a token the API answers 403.
func New(o *ops.Ops, admin *gate.Guard) *Handler { return &Handler{ops: o, admin: admin} }

// Router is where routes are registered: an *http.ServeMux, or a wrapper that also lists them.
type Router interface {
	Handle(pattern string, handler http.Handler)
}

// Register adds the routes to mux.
func (h *Handler) Register(mux Router) {
	mux.Handle("GET /v1/numbers/{number}", h.auth(h.number))
	mux.Handle("GET /v1/stats", h.auth(h.stats))
	mux.Handle("GET /v1/status", h.auth(h.status))
	mux.Handle("POST /v1/reconcile", h.auth(h.reconcile))
	mux.Handle("GET /v1/dead-letters", h.auth(h.deadLetters))
	mux.Handle("POST /v1/dead-letters/retry", h.auth(h.retry))
	mux.Handle("POST /v1/dead-letters/drop", h.auth(h.drop))
	mux.Handle("POST /v1/dead-letters/requeue", h.auth(h.requeue))
	mux.Handle("GET /v1/rejections", h.auth(h.rejections))
	mux.Handle("GET /v1/eligibility", h.authRead(h.eligibility))
	mux.Handle("POST /v1/eligibility", h.authRead(h.eligibilityBatch))
}

// Auth wraps next in the admin-token check of the /v1 API (403 when no token is configured).
func (h *Handler) Auth(next http.Handler) http.Handler { return h.auth(next.ServeHTTP) }

// auth guards next with the admin token. Every answer under /v1 is no-store: most carry numbers and
// what people sent, which no cache between here and the operator may keep.
func (h *Handler) auth(next http.HandlerFunc) http.Handler {
	return h.guarded(h.admin, next, "the /v1 API is disabled: set DNCSYNC_ADMIN_TOKEN to enable it",
		"Authorization: Bearer $DNCSYNC_ADMIN_TOKEN required")
}

// guarded serves next to requests with g's bearer token; disabled and missing say what to set.
func (h *Handler) guarded(g *gate.Guard, next http.HandlerFunc, disabled, missing string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		switch res := g.CheckBearer(r); res.Verdict {
		case gate.OK:
			next(w, r)
		case gate.Disabled:
			writeJSON(w, http.StatusForbidden, errBody(disabled))
		case gate.Throttled:
			res.Deny(w, challenge)
			writeJSON(w, res.Status(), errBody(res.Message()))
		default:
			res.Deny(w, challenge)
			writeJSON(w, http.StatusUnauthorized, errBody(missing))
		}
	})
}

const challenge = `Bearer realm="dncsync-admin"`

// fail answers an action's error: what the request got wrong is a 400 saying so; the store's
// failure a 503 to retry (verb: "read" or "written").
func fail(w http.ResponseWriter, err error, verb string) {
	var in *ops.InputError
	switch {
	case errors.As(err, &in):
		writeJSON(w, http.StatusBadRequest, errBody(in.Msg))
	case errors.Is(err, queue.ErrNoDestination), errors.Is(err, ops.ErrBadRegion), errors.Is(err, queue.ErrBadCursor):
		writeJSON(w, http.StatusBadRequest, errBody(err.Error()))
	default:
		w.Header().Set("Retry-After", "5")
		writeJSON(w, http.StatusServiceUnavailable, errBody("the store cannot be "+verb+"; retry later"))
	}
}

func (h *Handler) number(w http.ResponseWriter, r *http.Request) {
	page, err := ops.ParsePage(r.URL.Query().Get("limit"), r.URL.Query().Get("before"))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, errBody(err.Error()))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	a, err := h.ops.Lookup(ctx, r.PathValue("number"), r.URL.Query().Get("country"), page)
	switch {
	case errors.Is(err, ops.ErrNotFound):
		writeJSON(w, http.StatusNotFound, errBody("never seen"))
	case errors.Is(err, queue.ErrBadCursor):
		writeJSON(w, http.StatusBadRequest, errBody("before: "+err.Error()))
	case err != nil:
		fail(w, err, "read")
	default:
		writeJSON(w, http.StatusOK, a)
	}
}

func (h *Handler) stats(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	st, err := h.ops.Stats(ctx)
	if err != nil {
		fail(w, err, "read")
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (h *Handler) status(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	st, err := h.ops.Status(ctx, r.URL.Query().Get("destination"))
	if err != nil {
		fail(w, err, "read")
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (h *Handler) reconcile(w http.ResponseWriter, r *http.Request) {
	// A large list takes minutes at the rate limit: outlive the server's write timeout.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(31 * time.Minute))
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Minute)
	defer cancel()
	rep, err := h.ops.Reconcile(ctx, r.URL.Query().Get("destination"), r.URL.Query().Get("dryRun") == "true")
	switch {
	case errors.Is(err, queue.ErrNoDestination):
		writeJSON(w, http.StatusBadRequest, errBody(err.Error()))
	case errors.Is(err, ops.ErrNoReconcile):
		writeJSON(w, http.StatusNotImplemented, errBody(err.Error()))
	case err != nil:
		writeJSON(w, http.StatusBadGateway, errBody(err.Error()))
	default:
		writeJSON(w, http.StatusOK, rep)
	}
}

func (h *Handler) deadLetters(w http.ResponseWriter, r *http.Request) {
	limit, ok := limitParam(w, r, 100, 10000)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	dl, err := h.ops.DeadLetters(ctx, r.URL.Query().Get("destination"), limit)
	if err != nil {
		fail(w, err, "read")
		return
	}
	writeJSON(w, http.StatusOK, dl)
}

// NumbersRequest is the body of POST /v1/dead-letters/retry and /drop.
type NumbersRequest struct {
	Numbers []string `json:"numbers"`
	Reason  string   `json:"reason,omitempty"` // drop: required, kept in the audit trail
	// Destination names the destination whose dead letters these are; empty: the first.
	Destination string `json:"destination,omitempty"`
}

func readNumbers(w http.ResponseWriter, r *http.Request) (NumbersRequest, bool) {
	var req NumbersRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, errBody("body must be JSON: {\"numbers\": [...]}"))
		return req, false
	}
	return req, true
}

func (h *Handler) retry(w http.ResponseWriter, r *http.Request) {
	req, ok := readNumbers(w, r)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	a, err := h.ops.RetryDead(ctx, req.Destination, req.Numbers)
	if err != nil {
		fail(w, err, "written")
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (h *Handler) drop(w http.ResponseWriter, r *http.Request) {
	req, ok := readNumbers(w, r)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	a, err := h.ops.DropDead(ctx, req.Destination, req.Numbers, req.Reason)
	if err != nil {
		fail(w, err, "written")
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// requeue serves POST /v1/dead-letters/requeue[?max=N]: dead letters back to the queue.
func (h *Handler) requeue(w http.ResponseWriter, r *http.Request) {
	max := ops.RequeueChunk
	if v := r.URL.Query().Get("max"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeJSON(w, http.StatusBadRequest, errBody("max must be a positive whole number"))
			return
		}
		max = n
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Minute)
	defer cancel()
	n, err := h.ops.RequeueDead(ctx, r.URL.Query().Get("destination"), max)
	if err != nil {
		fail(w, err, "written")
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"requeued": n})
}

func (h *Handler) rejections(w http.ResponseWriter, r *http.Request) {
	limit, ok := limitParam(w, r, 100, 10000)
	if !ok {
		return
	}
	var since time.Time
	if v := r.URL.Query().Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, errBody("since must be an RFC 3339 time"))
			return
		}
		since = t
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	rs, err := h.ops.Rejections(ctx, since, limit)
	if err != nil {
		fail(w, err, "read")
		return
	}
	writeJSON(w, http.StatusOK, rs)
}

func limitParam(w http.ResponseWriter, r *http.Request, def, most int) (int, bool) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > most {
		writeJSON(w, http.StatusBadRequest, errBody(fmt.Sprintf("limit must be a whole number from 1 to %d", most)))
		return 0, false
	}
	return n, true
}

func errBody(msg string) map[string]string { return map[string]string{"error": msg} }

// writeJSON answers v as JSON, with the control characters encoding/json leaves in strings
// escaped too (printable.JSON): the answer is often read in a terminal.
func writeJSON(w http.ResponseWriter, status int, v any) { writeJSONAs(w, status, v, "  ") }

// writeJSONAs is writeJSON indented by indent ("": compact, for answers too large to read by eye).
func writeJSONAs(w http.ResponseWriter, status int, v any, indent string) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", indent)
	if err := enc.Encode(v); err != nil {
		http.Error(w, "could not encode the answer", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(printable.JSON(buf.Bytes()))
}
