// Package lookup serves the evidence API under /v1: a number's state and history, and the queue's
// compliance clock. Every route needs the admin bearer token; without one configured it answers 403.
package lookup

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/gate"
	"github.com/dncsync/dncsync/internal/phone"
	"github.com/dncsync/dncsync/internal/printable"
	"github.com/dncsync/dncsync/internal/queue"
)

// Handler serves /v1/numbers/{number} and /v1/stats.
type Handler struct {
	q             queue.Queue
	ev            queue.Evidence
	admin         *gate.Guard
	defaultRegion string
	now           func() time.Time
	// Reconcile, when set, serves POST /v1/reconcile[?dryRun=true] (admin profile).
	// ?destination= names the destination (default the first); an unknown one is a 400.
	Reconcile func(ctx context.Context, dest string, dryRun bool) (any, error)
	// Lanes, with more than one destination, break /v1/stats down by destination and let
	// /v1/dead-letters/requeue take ?destination= (default the first).
	Lanes []Lane
}

// queueFor is the queue of the destination a request names; ok false after answering 400.
func (h *Handler) queueFor(w http.ResponseWriter, name string) (queue.Queue, bool) {
	if name == "" || (len(h.Lanes) == 0 && name == queue.DefaultDestination) {
		return h.q, true
	}
	for i, l := range h.Lanes {
		if l.Name == name {
			if i == 0 {
				return h.q, true
			}
			return l.Store, true
		}
	}
	writeJSON(w, http.StatusBadRequest, errBody(fmt.Sprintf("destination %q is not configured", name)))
	return nil, false
}

// New returns a Handler. admin checks DNCSYNC_ADMIN_TOKEN and accounts for failed attempts (the
// status page shares it); without a token the API answers 403.
func New(q queue.Queue, ev queue.Evidence, admin *gate.Guard, defaultRegion string) *Handler {
	return &Handler{q: q, ev: ev, admin: admin, defaultRegion: defaultRegion, now: time.Now}
}

// Router is where routes are registered: an *http.ServeMux, or a wrapper that also lists them.
type Router interface {
	Handle(pattern string, handler http.Handler)
}

// Register adds the routes to mux.
func (h *Handler) Register(mux Router) {
	mux.Handle("GET /v1/numbers/{number}", h.auth(h.number))
	mux.Handle("GET /v1/stats", h.auth(h.stats))
	mux.Handle("POST /v1/reconcile", h.auth(h.reconcile))
	mux.Handle("POST /v1/dead-letters/requeue", h.auth(h.requeue))
}

// requeue serves POST /v1/dead-letters/requeue[?max=N]: dead letters back to the queue.
func (h *Handler) requeue(w http.ResponseWriter, r *http.Request) {
	max := 1000
	if v := r.URL.Query().Get("max"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeJSON(w, http.StatusBadRequest, errBody("max must be a positive whole number"))
			return
		}
		max = n
	}
	q, ok := h.queueFor(w, r.URL.Query().Get("destination"))
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Minute)
	defer cancel()
	n, err := q.Redrive(ctx, max)
	if err != nil {
		w.Header().Set("Retry-After", "5")
		writeJSON(w, http.StatusServiceUnavailable, errBody("the store cannot be written; retry later"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"requeued": n})
}

// ErrNoReconcile is Reconcile's answer for a destination whose list cannot be read.
var ErrNoReconcile = errors.New("reconcile not available")

func (h *Handler) reconcile(w http.ResponseWriter, r *http.Request) {
	if h.Reconcile == nil {
		writeJSON(w, http.StatusNotImplemented, errBody("reconcile needs the admin profile (CXONE_API=admin)"))
		return
	}
	// A large group takes minutes at the rate limit: outlive the server's write timeout.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(31 * time.Minute))
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Minute)
	defer cancel()
	rep, err := h.Reconcile(ctx, r.URL.Query().Get("destination"), r.URL.Query().Get("dryRun") == "true")
	if errors.Is(err, queue.ErrNoDestination) {
		writeJSON(w, http.StatusBadRequest, errBody(err.Error()))
		return
	}
	if errors.Is(err, ErrNoReconcile) {
		writeJSON(w, http.StatusNotImplemented, errBody(err.Error()))
		return
	}
	if err != nil {
		writeJSON(w, http.StatusBadGateway, errBody(err.Error()))
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// auth guards next with the admin token. Every answer under /v1 is no-store: most carry numbers and
// what people sent, which no cache between here and the operator may keep.
func (h *Handler) auth(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		switch res := h.admin.CheckBearer(r); res.Verdict {
		case gate.OK:
			next(w, r)
		case gate.Disabled:
			writeJSON(w, http.StatusForbidden, errBody("the /v1 API is disabled: set DNCSYNC_ADMIN_TOKEN to enable it"))
		case gate.Throttled:
			res.Deny(w, challenge)
			writeJSON(w, res.Status(), errBody(res.Message()))
		default:
			res.Deny(w, challenge)
			writeJSON(w, http.StatusUnauthorized, errBody("Authorization: Bearer $DNCSYNC_ADMIN_TOKEN required"))
		}
	})
}

const challenge = `Bearer realm="dncsync-admin"`

// Answer is the JSON of GET /v1/numbers/{number}.
type Answer struct {
	queue.NumberState
	Query   string              `json:"query"`
	History []queue.AuditRecord `json:"history"`
	// NextBefore, when set, pages further back: pass it as ?before= for the records before History.
	NextBefore string `json:"nextBefore,omitempty"`
}

// NewAnswer is the answer to query from what a lookup found.
func NewAnswer(query string, h queue.History) Answer {
	if h.Records == nil {
		h.Records = []queue.AuditRecord{}
	}
	return Answer{NumberState: h.State, Query: query, History: h.Records, NextBefore: h.Older}
}

// ErrBadRegion refuses a country that is not a region, for a query that needs one.
var ErrBadRegion = errors.New("country is not a known region (ISO 3166 code such as US or GB)")

// Key is where a query is looked up: its E.164 when it is a valid number, otherwise the rejection
// key of the raw input. A query in international form ("+" and the country code) names its country
// and region is ignored; any other is read in region (empty: defaultRegion), which must then be a
// region (ErrBadRegion).
func Key(query, region, defaultRegion string) (string, error) {
	if strings.HasPrefix(strings.TrimSpace(query), "+") {
		region = defaultRegion
	} else if region == "" {
		region = defaultRegion
	} else if !phone.ValidRegion(region) {
		return "", ErrBadRegion
	}
	if n, err := phone.Parse(query, region); err == nil {
		return n.E164, nil
	}
	return queue.RejectionKey(query), nil
}

// ParsePage reads ?limit= and ?before= (a cursor from an earlier answer's nextBefore).
func ParsePage(limit, before string) (queue.Page, error) {
	p := queue.Page{Before: before}
	if limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 || n > queue.MaxPageLimit {
			return p, fmt.Errorf("limit must be a whole number from 1 to %d", queue.MaxPageLimit)
		}
		p.Limit = n
	}
	return p, nil
}

func (h *Handler) number(w http.ResponseWriter, r *http.Request) {
	query := r.PathValue("number")
	page, err := ParsePage(r.URL.Query().Get("limit"), r.URL.Query().Get("before"))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, errBody(err.Error()))
		return
	}
	key, err := Key(query, r.URL.Query().Get("country"), h.defaultRegion)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, errBody(err.Error()))
		return
	}
	if key == "" {
		writeJSON(w, http.StatusNotFound, errBody("never seen"))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	hist, found, err := h.ev.Lookup(ctx, key, page)
	switch {
	case errors.Is(err, queue.ErrBadCursor):
		writeJSON(w, http.StatusBadRequest, errBody("before: "+err.Error()))
		return
	case err != nil:
		w.Header().Set("Retry-After", "5")
		writeJSON(w, http.StatusServiceUnavailable, errBody("the store cannot be read; retry later"))
		return
	case !found:
		writeJSON(w, http.StatusNotFound, errBody("never seen"))
		return
	}
	writeJSON(w, http.StatusOK, NewAnswer(query, hist))
}

// Stats is the JSON of GET /v1/stats.
type Stats struct {
	Depth  int64 `json:"depth"`
	Ready  int64 `json:"ready"`
	Leased int64 `json:"inFlight"`
	Dead   int64 `json:"deadLetters"`
	// The compliance clock: the oldest request not yet confirmed by CXone.
	OldestUnsyncedAt         *time.Time `json:"oldestUnsyncedAt"`
	OldestUnsyncedAgeSeconds float64    `json:"oldestUnsyncedAgeSeconds"`
	// Destinations is each destination's own, when more than one is configured; the counts above
	// are then their sums and the oldest request the oldest of theirs.
	Destinations map[string]Stats `json:"destinations,omitempty"`
	// Rejections is what the store holds of rejected input and turned away (the whole store's,
	// not a destination's).
	Rejections *RejectionStats `json:"rejections,omitempty"`
}

// RejectionStats is queue.RejectionStats as the API shows it.
type RejectionStats struct {
	Kept       int64 `json:"kept"`
	Cap        int64 `json:"cap"`
	Recorded   int64 `json:"recorded"`
	Duplicates int64 `json:"duplicates"`
	Shed       int64 `json:"shed"`    // the oldest, past the cap
	Skipped    int64 `json:"skipped"` // not written: the store was past its share for rejections
	// StoreFill is the share of its limit the store uses; null when it has none known.
	StoreFill *float64 `json:"storeFill"`
}

// ReadRejections reads the rejection counts of a store that keeps them (queue.RejectionKeeper);
// nil for one that does not.
func ReadRejections(ctx context.Context, s any) (*RejectionStats, error) {
	k, ok := s.(queue.RejectionKeeper)
	if !ok {
		return nil, nil
	}
	st, err := k.RejectionStats(ctx)
	if err != nil {
		return nil, err
	}
	out := &RejectionStats{Kept: st.Kept, Cap: st.Cap, Recorded: st.Recorded, Duplicates: st.Duplicates,
		Shed: st.Shed, Skipped: st.Skipped}
	if st.Fill >= 0 {
		out.StoreFill = &st.Fill
	}
	return out, nil
}

func (h *Handler) stats(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	lanes := h.Lanes
	if len(lanes) == 0 {
		lanes = []Lane{{Store: nil}}
	}
	var out Stats
	for _, l := range lanes {
		var q queue.Queue = h.q
		if l.Store != nil {
			q = l.Store
		}
		st, err := q.Stats(ctx)
		if err != nil {
			w.Header().Set("Retry-After", "5")
			writeJSON(w, http.StatusServiceUnavailable, errBody("the store cannot be read; retry later"))
			return
		}
		one := Stats{Depth: st.Depth(), Ready: st.Ready, Leased: st.Leased, Dead: st.Dead}
		if !st.OldestReceived.IsZero() {
			t := st.OldestReceived.UTC()
			one.OldestUnsyncedAt = &t
			one.OldestUnsyncedAgeSeconds = h.now().Sub(t).Seconds()
		}
		if len(h.Lanes) == 0 {
			out = one
			break
		}
		if out.Destinations == nil {
			out.Destinations = map[string]Stats{}
		}
		out.Destinations[l.Name] = one
		out.Depth, out.Ready, out.Leased, out.Dead = out.Depth+one.Depth, out.Ready+one.Ready, out.Leased+one.Leased, out.Dead+one.Dead
		if one.OldestUnsyncedAt != nil && (out.OldestUnsyncedAt == nil || one.OldestUnsyncedAt.Before(*out.OldestUnsyncedAt)) {
			out.OldestUnsyncedAt, out.OldestUnsyncedAgeSeconds = one.OldestUnsyncedAt, one.OldestUnsyncedAgeSeconds
		}
	}
	rej, err := ReadRejections(ctx, h.ev)
	if err != nil {
		w.Header().Set("Retry-After", "5")
		writeJSON(w, http.StatusServiceUnavailable, errBody("the store cannot be read; retry later"))
		return
	}
	out.Rejections = rej
	writeJSON(w, http.StatusOK, out)
}

func errBody(msg string) map[string]string { return map[string]string{"error": msg} }

// writeJSON answers v as JSON, with the control characters encoding/json leaves in strings
// escaped too (printable.JSON): the answer is often read in a terminal.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		http.Error(w, "could not encode the answer", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(printable.JSON(buf.Bytes()))
}

// ErrNotFound is returned by a Client lookup of a number never seen.
var ErrNotFound = errors.New("never seen")
