// Package intake turns what senders post into queue events: authenticate, parse, normalize,
// record (accepted or rejected), and only then answer. One file per source.
package intake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dncsync/dncsync/internal/consent"
	"github.com/dncsync/dncsync/internal/phone"
	"github.com/dncsync/dncsync/internal/queue"
)

// MaxBody is the largest body accepted (docs/wire-contract.md, section 1).
const MaxBody = 1 << 20

// MaxBatch is the most events one request may carry.
const MaxBatch = 1000

// Config configures the handlers.
type Config struct {
	DefaultRegion string
	Auth          Verifier
	Logger        *slog.Logger
	Metrics       *Metrics
	Now           func() time.Time
	// StoreTimeout bounds a store write so that a hung store answers 503 rather than hanging senders.
	StoreTimeout time.Duration
	// RevokeAll is DNCSYNC_REVOKE_ALL: each accepted event records the policy in force when it was
	// received (consent.Policy.At). Unset: consent.DefaultPolicy.
	RevokeAll consent.Policy
	// Import makes the handler the import endpoint's: it reads an event's import fields (a row's
	// problem, its folded repeats) and speaks of the number as a file's column.
	Import bool
}

// Sink is what intake writes: accepted events, and input it did not accept (the store; in the
// service, one whose Enqueue also wakes the pushers).
type Sink interface {
	Enqueue(ctx context.Context, events []queue.Event) ([]queue.EnqueueStatus, error)
	Reject(ctx context.Context, rs ...queue.Rejection) error
}

// Handler serves the webhook endpoints.
type Handler struct {
	q   Sink
	cfg Config
}

// New returns a Handler writing to q.
func New(q Sink, cfg Config) *Handler {
	if cfg.DefaultRegion == "" {
		cfg.DefaultRegion = "US"
	}
	if cfg.Auth == nil {
		cfg.Auth = None{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RevokeAll.IsZero() {
		cfg.RevokeAll = consent.MustPolicy(consent.DefaultPolicy)
	}
	if cfg.StoreTimeout <= 0 {
		cfg.StoreTimeout = 5 * time.Second
	}
	return &Handler{q: q, cfg: cfg}
}

// result is one event's answer.
type result struct {
	Status      string `json:"status"` // accepted, duplicate, rejected, invalid
	PhoneNumber string `json:"phoneNumber,omitempty"`
	EventID     string `json:"eventId,omitempty"`
	Code        int    `json:"code,omitempty"`
	Reason      string `json:"reason,omitempty"`
	Error       string `json:"error,omitempty"`
}

// OptOut serves POST /webhook/opt-out.
func (h *Handler) OptOut(w http.ResponseWriter, r *http.Request) {
	body, ok := h.readBody(w, r, "application/json")
	if !ok {
		return
	}
	now := h.cfg.Now()
	raws, batch, err := splitBody(body)
	if err != nil {
		// Nothing in the body is taken, but what was said is kept: the body as received, bounded.
		rej := queue.Rejection{Body: string(body), Reason: codeOf(err), EventID: r.Header.Get("webhook-id"),
			ReceivedAt: now.Truncate(time.Millisecond)}
		if serr := h.record(r.Context(), []queue.Rejection{rej}); serr != nil {
			h.unavailable(w, serr)
			return
		}
		h.fail(w, http.StatusBadRequest, "invalid", err.Error())
		return
	}
	if batch && len(raws) > MaxBatch {
		h.fail(w, http.StatusRequestEntityTooLarge, "too_large",
			fmt.Sprintf("batch has %d events; at most %d", len(raws), MaxBatch))
		return
	}
	results, err := h.process(r.Context(), raws, now, r.Header.Get("webhook-id"), batch)
	if err != nil {
		h.unavailable(w, err)
		return
	}
	for _, res := range results {
		h.cfg.Metrics.Webhooks.WithLabelValues(res.Status).Inc()
	}
	if batch {
		writeJSON(w, http.StatusOK, map[string]any{"results": results})
		return
	}
	res := results[0]
	status := http.StatusOK
	if res.Code != 0 {
		status = res.Code
	}
	writeJSON(w, status, res)
}

// process normalizes every event, records what is refused, and enqueues the accepted ones in one
// atomic write. It fails only when the store does: then nothing was acknowledged.
func (h *Handler) process(ctx context.Context, raws []json.RawMessage, now time.Time, webhookID string, batch bool) ([]result, error) {
	read := func(i int) (parsed, error) {
		p, err := parseEvent(raws[i], now, h.cfg.DefaultRegion)
		if p.ev.ID == "" && webhookID != "" {
			p.ev.ID = webhookID
			if batch {
				p.ev.ID = fmt.Sprintf("%s#%d", webhookID, i)
			}
		}
		return p, err
	}
	return h.normalize(ctx, len(raws), read, func(i int) string { return string(raws[i]) })
}

// normalize is process for n events, each read by read; body is an event as received, kept with
// its refusal.
func (h *Handler) normalize(ctx context.Context, n int, read func(i int) (parsed, error), body func(i int) string) ([]result, error) {
	results := make([]result, n)
	events := make([]queue.Event, 0, n)
	slots := make([]int, 0, n)
	var rejs []queue.Rejection
	for i := range n {
		p, err := read(i)
		refusal := func(reason string) queue.Rejection {
			return queue.Rejection{Raw: p.raw, Body: body(i), Region: p.region, Source: p.ev.Source,
				Channel: p.ev.Channel, EventID: p.ev.ID, ReceivedAt: p.ev.ReceivedAt, Reason: reason}
		}
		if h.cfg.Import {
			var tooLong bool
			if tooLong, err = importFields(&p, err); tooLong {
				// Refused whatever its number; a valid one keeps the refusal in its trail.
				rej := refusal(RowTooLong)
				if n, perr := phone.Parse(p.raw, p.region); perr == nil {
					rej.Number = n.E164
				}
				rejs = append(rejs, rej)
				results[i] = result{Status: "rejected", Code: http.StatusUnprocessableEntity, Reason: RowTooLong, EventID: p.ev.ID,
					Error: "the row is longer than the import reads whole; recorded as rejected with its first bytes"}
				continue
			}
		}
		if err != nil {
			// Refused for a field, not its number: when the number is valid the refusal joins its
			// trail, so that a lookup shows what the person's system sent; so for each number of
			// an event that gave several.
			rej := refusal(codeOf(err))
			for _, raw := range append([]string{p.raw}, p.others...) {
				r := rej
				r.Raw = raw
				if n, perr := phone.Parse(raw, p.region); perr == nil {
					r.Number = n.E164
				}
				rejs = append(rejs, r)
			}
			results[i] = result{Status: "invalid", Code: http.StatusBadRequest, Reason: rej.Reason, EventID: p.ev.ID,
				Error: err.Error()}
			continue
		}
		num, err := phone.Parse(p.raw, p.region)
		if err != nil {
			rej := refusal("invalid_number")
			var pe *phone.Error
			if errors.As(err, &pe) {
				rej.Reason = string(pe.Reason)
			}
			rejs = append(rejs, rej)
			h.cfg.Logger.Info("rejected a number", "number", phone.Mask(p.raw), "reason", rej.Reason, "region", p.region)
			results[i] = result{Status: "rejected", Code: http.StatusUnprocessableEntity, Reason: rej.Reason,
				EventID: p.ev.ID, Error: fmt.Sprintf("not a valid phone number for region %s (%s); recorded as rejected", p.region, rej.Reason)}
			continue
		}
		p.ev.Number = num.E164
		// The policy of the moment it was received decides its reach, whatever the setting later.
		p.ev.Policy = string(h.cfg.RevokeAll.At(p.ev.ReceivedAt))
		p.ev.Bound()
		events = append(events, p.ev)
		slots = append(slots, i)
	}
	// The deadline bounds the store writes, not the normalizing of up to MaxBatch numbers.
	ctx, cancel := context.WithTimeout(ctx, h.cfg.StoreTimeout)
	defer cancel()
	// Rejections first: if the enqueue then fails the sender retries and the evidence is doubled,
	// never missing.
	if err := h.record(ctx, rejs); err != nil {
		return nil, err
	}
	if len(events) == 0 {
		return results, nil
	}
	st, err := h.q.Enqueue(ctx, events)
	if err != nil {
		return nil, fmt.Errorf("enqueue: %w", err)
	}
	for j, i := range slots {
		res := result{Status: "accepted", PhoneNumber: events[j].Number, EventID: events[j].ID}
		if st[j] == queue.Duplicate {
			res.Status = "duplicate"
		}
		// A Stale event is accepted and kept in the trail; it just changes nothing at CXone.
		results[i] = res
	}
	return results, nil
}

// importFields applies an event's import fields (Config.Import). tooLong: the row is refused as
// too long (RowTooLong). It returns err, or the error the fields make, with an empty number
// spoken of as a file's column.
func importFields(p *parsed, err error) (tooLong bool, _ error) {
	switch p.importProblem {
	case "":
	case RowTooLong:
		return true, nil
	default:
		return false, badCode("bad_import_problem", "importProblem %q is not %s", truncate(p.importProblem, 64), RowTooLong)
	}
	if p.importRepeats != "" && err == nil {
		n, perr := strconv.Atoi(p.importRepeats)
		if perr != nil || n < 0 {
			return false, badCode("bad_import_repeats", "importRepeats %q is not a count", truncate(p.importRepeats, 64))
		}
		p.ev.Repeats = n
	}
	if err != nil && codeOf(err) == "no_phone_number" {
		return false, badCode("no_phone_number", "empty phone column")
	}
	return false, err
}

// record stores refused input and counts what it costs the store. A store write has at most
// StoreTimeout; callers that already set a deadline keep theirs.
func (h *Handler) record(ctx context.Context, rejs []queue.Rejection) error {
	if len(rejs) == 0 {
		return nil
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, h.cfg.StoreTimeout)
		defer cancel()
	}
	size := 0
	for i := range rejs {
		rejs[i] = rejs[i].Bound()
		size += rejs[i].Size()
	}
	if err := h.q.Reject(ctx, rejs...); err != nil {
		return fmt.Errorf("record refused input: %w", err)
	}
	h.cfg.Metrics.RejectedBytes.Add(float64(size))
	return nil
}

// unavailable answers 503: the store could not be written in time, nothing was acknowledged.
func (h *Handler) unavailable(w http.ResponseWriter, err error) {
	h.cfg.Logger.Error("store write failed; answering 503", "err", err)
	w.Header().Set("Retry-After", "5")
	h.fail(w, http.StatusServiceUnavailable, "unavailable", "the store cannot be written; retry later")
}

// readBody enforces method, media type, size and authentication, answering on failure.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request, media string) ([]byte, bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.fail(w, http.StatusMethodNotAllowed, "invalid", "use POST")
		return nil, false
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !(mt == media || (media == "application/json" && strings.HasSuffix(mt, "+json"))) {
		h.fail(w, http.StatusUnsupportedMediaType, "unsupported_media", "Content-Type must be "+media)
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.fail(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("body larger than %d bytes", MaxBody))
		} else {
			h.fail(w, http.StatusBadRequest, "invalid", "could not read the body")
		}
		return nil, false
	}
	if err := h.cfg.Auth.Verify(r, body); err != nil {
		h.cfg.Logger.Warn("webhook authentication failed", "err", err, "remote", r.RemoteAddr)
		w.Header().Set("WWW-Authenticate", h.cfg.Auth.Challenge())
		h.fail(w, http.StatusUnauthorized, "unauthorized", err.Error())
		return nil, false
	}
	return body, true
}

func (h *Handler) fail(w http.ResponseWriter, status int, result, msg string) {
	h.cfg.Metrics.Webhooks.WithLabelValues(result).Inc()
	writeJSON(w, status, map[string]string{"status": "error", "error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// truncate cuts s to at most n bytes without splitting a UTF-8 character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Metrics are intake's Prometheus metrics.
type Metrics struct {
	Webhooks      *prometheus.CounterVec
	RejectedBytes prometheus.Counter
}

// NewMetrics creates the metrics and registers them on reg when it is not nil.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{Webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dncsync_webhooks_total",
		Help: "Webhook events by result: accepted, duplicate, rejected (invalid number), invalid, unauthorized, unavailable, too_large, unsupported_media.",
	}, []string{"result"}),
		RejectedBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dncsync_rejected_bytes_total",
			Help: "Bytes of refused input kept as evidence (bounded per rejection): what bad input costs the store.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.Webhooks, m.RejectedBytes)
	}
	return m
}
