package lookup

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/phone"
	"github.com/dncsync/dncsync/internal/queue"
)

// Pacing is what status reports of the drain's pace: the pusher's pacer.
type Pacing interface {
	CurrentRPM() float64
	PausedUntil() time.Time
}

// Operator serves the operator's API under /v1: status, dead letters, rejections. Every route
// needs the admin token (Handler.Admin).
type Operator struct {
	h             *Handler
	ops           queue.Operations
	pacing        Pacing // nil: not known (no pusher in this process)
	lanes         []Lane // with more than one destination: each one's queue and pace
	defaultRegion string
	now           func() time.Time
}

// Lane is one destination's queue (queue.Router.Dest) and pace, for status and dead letters.
type Lane struct {
	Name   string
	Store  queue.Store
	Pacing Pacing // nil: not known
}

// WithDestinations makes status break down by destination and the dead-letter routes take a
// destination (?destination= or "destination" in the body; default the first). With one lane it
// changes nothing.
func (o *Operator) WithDestinations(lanes []Lane) *Operator {
	if len(lanes) > 1 {
		o.lanes = lanes
	}
	return o
}

// lane is the destination a request names (the first when it names none); ok false after
// answering 400 for an unknown one.
func (o *Operator) lane(w http.ResponseWriter, name string) (queue.Operations, bool) {
	if len(o.lanes) == 0 {
		if name == "" || name == queue.DefaultDestination {
			return o.ops, true
		}
	}
	if name == "" && len(o.lanes) > 0 {
		return o.lanes[0].Store, true
	}
	for _, l := range o.lanes {
		if l.Name == name {
			return l.Store, true
		}
	}
	writeJSON(w, http.StatusBadRequest, errBody(fmt.Sprintf("destination %q is not configured", name)))
	return nil, false
}

// NewOperator returns the operator's API over the store's operations, behind h's admin token.
// pacing may be nil.
func NewOperator(h *Handler, ops queue.Operations, pacing Pacing) *Operator {
	return &Operator{h: h, ops: ops, pacing: pacing, defaultRegion: h.defaultRegion, now: time.Now}
}

// Register adds the routes to mux.
func (o *Operator) Register(mux Router) {
	mux.Handle("GET /v1/status", o.h.auth(o.status))
	mux.Handle("GET /v1/dead-letters", o.h.auth(o.deadLetters))
	mux.Handle("POST /v1/dead-letters/retry", o.h.auth(o.retry))
	mux.Handle("POST /v1/dead-letters/drop", o.h.auth(o.drop))
	mux.Handle("GET /v1/rejections", o.h.auth(o.rejections))
}

// Admin wraps next in the admin-token check of the /v1 API (403 when no token is configured).
func (h *Handler) Admin(next http.Handler) http.Handler { return h.auth(next.ServeHTTP) }

// Status is the JSON of GET /v1/status and `dncsync status --json`: the queue, the compliance
// clock, the last confirmation and the drain's pace.
type Status struct {
	Stats
	// Business days since the oldest unsynced request (Monday to Friday, UTC); the deadline is 10.
	OldestUnsyncedBusinessDays int        `json:"oldestUnsyncedBusinessDays"`
	LastPushAt                 *time.Time `json:"lastPushAt"` // CXone's last confirmation; null: never
	Pacing                     *PaceState `json:"pacing"`     // null when not known (read from the store directly)
	// Destinations is each destination's own status, when more than one is configured. The
	// counts above are then their sums, the oldest request the oldest of theirs, the last push
	// the least recent of theirs (null if one never confirmed), and pacing null.
	Destinations map[string]Status `json:"destinations,omitempty"`
}

// ReadStatusAll reads each lane's status and their summary (Status.Destinations).
func ReadStatusAll(ctx context.Context, lanes []Lane, now time.Time) (Status, error) {
	out := Status{Destinations: map[string]Status{}}
	var oldest, last time.Time
	neverPushed := false
	for _, l := range lanes {
		st, err := ReadStatus(ctx, l.Store, l.Store, l.Pacing, now)
		if err != nil {
			return Status{}, fmt.Errorf("%s: %w", l.Name, err)
		}
		out.Destinations[l.Name] = st
		out.Depth, out.Ready, out.Leased, out.Dead = out.Depth+st.Depth, out.Ready+st.Ready, out.Leased+st.Leased, out.Dead+st.Dead
		if st.OldestUnsyncedAt != nil && (oldest.IsZero() || st.OldestUnsyncedAt.Before(oldest)) {
			oldest = *st.OldestUnsyncedAt
		}
		switch {
		case st.LastPushAt == nil:
			neverPushed = true
		case last.IsZero() || st.LastPushAt.Before(last):
			last = *st.LastPushAt
		}
	}
	if !oldest.IsZero() {
		out.OldestUnsyncedAt = &oldest
		out.OldestUnsyncedAgeSeconds = now.Sub(oldest).Seconds()
		out.OldestUnsyncedBusinessDays = queue.BusinessDays(oldest, now)
	}
	if !neverPushed && !last.IsZero() {
		out.LastPushAt = &last
	}
	// The rejections are the whole store's: told once, not per destination.
	for name, st := range out.Destinations {
		if out.Rejections == nil {
			out.Rejections = st.Rejections
		}
		st.Rejections = nil
		out.Destinations[name] = st
	}
	return out, nil
}

// PaceState is the pusher's pace: requests a minute now, and the 429 pause if one lasts.
type PaceState struct {
	RPM          float64    `json:"rpm"`
	PausedUntil  *time.Time `json:"pausedUntil"`
	PauseSeconds float64    `json:"pauseSeconds"`
}

// ReadStatus reads the status from the store; pacing may be nil.
func ReadStatus(ctx context.Context, q queue.Queue, ops queue.Operations, pacing Pacing, now time.Time) (Status, error) {
	st, err := q.Stats(ctx)
	if err != nil {
		return Status{}, err
	}
	last, err := ops.LastConfirmed(ctx)
	if err != nil {
		return Status{}, err
	}
	out := Status{Stats: Stats{Depth: st.Depth(), Ready: st.Ready, Leased: st.Leased, Dead: st.Dead}}
	if !st.OldestReceived.IsZero() {
		t := st.OldestReceived.UTC()
		out.OldestUnsyncedAt = &t
		out.OldestUnsyncedAgeSeconds = now.Sub(t).Seconds()
		out.OldestUnsyncedBusinessDays = queue.BusinessDays(t, now)
	}
	if !last.IsZero() {
		t := last.UTC()
		out.LastPushAt = &t
	}
	if out.Rejections, err = ReadRejections(ctx, ops); err != nil {
		return Status{}, err
	}
	if pacing != nil {
		p := &PaceState{RPM: pacing.CurrentRPM()}
		if u := pacing.PausedUntil(); u.After(now) {
			u = u.UTC()
			p.PausedUntil, p.PauseSeconds = &u, u.Sub(now).Seconds()
		}
		out.Pacing = p
	}
	return out, nil
}

func (o *Operator) status(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	var st Status
	var err error
	if len(o.lanes) > 0 {
		st, err = ReadStatusAll(ctx, o.lanes, o.now())
	} else {
		st, err = ReadStatus(ctx, o.h.q, o.ops, o.pacing, o.now())
	}
	if err != nil {
		unavailable(w, "read")
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// DeadLetters is the JSON of GET /v1/dead-letters.
type DeadLetters struct {
	DeadLetters []queue.DeadLetter `json:"deadLetters"`
}

func (o *Operator) deadLetters(w http.ResponseWriter, r *http.Request) {
	limit, ok := limitParam(w, r, 100, 10000)
	if !ok {
		return
	}
	ops, ok := o.lane(w, r.URL.Query().Get("destination"))
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	dl, err := ops.DeadLetters(ctx, limit)
	if err != nil {
		unavailable(w, "read")
		return
	}
	if dl == nil {
		dl = []queue.DeadLetter{}
	}
	writeJSON(w, http.StatusOK, DeadLetters{DeadLetters: dl})
}

// NumbersRequest is the body of POST /v1/dead-letters/retry and /drop.
type NumbersRequest struct {
	Numbers []string `json:"numbers"`
	Reason  string   `json:"reason,omitempty"` // drop: required, kept in the audit trail
	// Destination names the destination whose dead letters these are; empty: the first.
	Destination string `json:"destination,omitempty"`
}

// NumbersAnswer says which numbers were acted on and which were not dead letters.
type NumbersAnswer struct {
	Requeued []string `json:"requeued,omitempty"`
	Dropped  []string `json:"dropped,omitempty"`
	NotDead  []string `json:"notDead"`
}

// readNumbers reads a NumbersRequest and normalizes its numbers (any format, the configured region).
func (o *Operator) readNumbers(w http.ResponseWriter, r *http.Request) (NumbersRequest, []string, bool) {
	var req NumbersRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, errBody("body must be JSON: {\"numbers\": [...]}"))
		return req, nil, false
	}
	if len(req.Numbers) == 0 || len(req.Numbers) > 1000 {
		writeJSON(w, http.StatusBadRequest, errBody("numbers: give 1 to 1000 numbers"))
		return req, nil, false
	}
	e164 := make([]string, len(req.Numbers))
	for i, n := range req.Numbers {
		num, err := phone.Parse(n, o.defaultRegion)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, errBody(fmt.Sprintf("%q is not a valid phone number", n)))
			return req, nil, false
		}
		e164[i] = num.E164
	}
	return req, e164, true
}

func notIn(all, done []string) []string {
	seen := map[string]bool{}
	for _, d := range done {
		seen[d] = true
	}
	out := []string{}
	for _, n := range all {
		if !seen[n] {
			out = append(out, n)
		}
	}
	return out
}

func (o *Operator) retry(w http.ResponseWriter, r *http.Request) {
	req, numbers, ok := o.readNumbers(w, r)
	if !ok {
		return
	}
	ops, ok := o.lane(w, req.Destination)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	done, err := ops.RedriveNumbers(ctx, numbers)
	if err != nil {
		unavailable(w, "written")
		return
	}
	writeJSON(w, http.StatusOK, NumbersAnswer{Requeued: orEmpty(done), NotDead: notIn(numbers, done)})
}

func (o *Operator) drop(w http.ResponseWriter, r *http.Request) {
	req, numbers, ok := o.readNumbers(w, r)
	if !ok {
		return
	}
	if strings.TrimSpace(req.Reason) == "" {
		writeJSON(w, http.StatusBadRequest, errBody("reason is required: it is kept in the audit trail"))
		return
	}
	ops, ok := o.lane(w, req.Destination)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	done, err := ops.DropDead(ctx, numbers, req.Reason)
	if err != nil {
		unavailable(w, "written")
		return
	}
	writeJSON(w, http.StatusOK, NumbersAnswer{Dropped: orEmpty(done), NotDead: notIn(numbers, done)})
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Rejection is one rejected input as GET /v1/rejections and `dncsync rejected list` show it.
type Rejection struct {
	Raw string `json:"raw"`
	// Number is the E.164 when the number was valid and another field was refused.
	Number     string    `json:"number,omitempty"`
	Reason     string    `json:"reason"`
	Said       string    `json:"said,omitempty"` // what the person said, when it is not the number
	Region     string    `json:"region,omitempty"`
	Source     string    `json:"source,omitempty"`
	Channel    string    `json:"channel,omitempty"`
	EventID    string    `json:"eventId,omitempty"`
	ReceivedAt time.Time `json:"receivedAt"`
	// Body is the event or row as received: its first 256 bytes (queue.MaxBodyLen). SHA256 and
	// Bytes are the hash and size of the whole text as received (the body, or the raw number when
	// there is none); absent for a rejection kept before they were.
	Body   string `json:"body,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	Bytes  int    `json:"bytes,omitempty"`
}

// Rejections is the JSON of GET /v1/rejections.
type Rejections struct {
	Rejections []Rejection `json:"rejections"`
}

// ToRejections converts the store's rejections to the API's.
func ToRejections(rs []queue.Rejection) []Rejection {
	out := make([]Rejection, len(rs))
	for i, r := range rs {
		out[i] = Rejection{Raw: r.Raw, Number: r.Number, Reason: r.Reason, Said: r.Said, Region: r.Region,
			Source: r.Source, Channel: r.Channel,
			EventID: r.EventID, ReceivedAt: r.ReceivedAt.UTC(), Body: r.Body, SHA256: r.Hash, Bytes: r.Bytes}
	}
	return out
}

func (o *Operator) rejections(w http.ResponseWriter, r *http.Request) {
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
	rs, err := o.ops.RejectionsSince(ctx, since, limit)
	if err != nil {
		unavailable(w, "read")
		return
	}
	writeJSON(w, http.StatusOK, Rejections{Rejections: ToRejections(rs)})
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

func unavailable(w http.ResponseWriter, verb string) {
	w.Header().Set("Retry-After", "5")
	writeJSON(w, http.StatusServiceUnavailable, errBody("the store cannot be "+verb+"; retry later"))
}
