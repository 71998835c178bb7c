package webhook

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
)

// Event types and actions of the request body.
const (
	TypeAdd    = "dnc.add"
	TypeRemove = "dnc.remove"
	TypePing   = "dnc.ping"
)

// Body is the JSON a request carries (see the package doc).
type Body struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      Data      `json:"data"`
}

// Data is the body's payload.
type Data struct {
	Action  string   `json:"action"` // "add", "remove" or "ping"
	Numbers []Number `json:"numbers"`
}

// Number is one number of a request.
type Number struct {
	PhoneNumber string     `json:"phoneNumber"` // E.164
	Reason      string     `json:"reason,omitempty"`
	Source      string     `json:"source,omitempty"`
	ExpiresAt   *time.Time `json:"expiresAt,omitempty"` // add only; absent: no end
	// OccurredAt is when the person asked for this action (RFC 3339, UTC, milliseconds): a receiver
	// applies an action only if it is newer than the last one it applied for the number, so that
	// a late retry cannot undo a newer opposite action.
	OccurredAt *time.Time `json:"occurredAt,omitempty"`
}

// Answer is the optional body of a 2xx answer that settles numbers one by one.
type Answer struct {
	Results []Result `json:"results"`
}

// Result is one number's outcome in an Answer.
type Result struct {
	PhoneNumber string `json:"phoneNumber"`
	Status      string `json:"status"` // StatusOK, StatusRejected or StatusRetry
	Error       string `json:"error,omitempty"`
}

// Result statuses.
const (
	StatusOK       = "ok"
	StatusRejected = "rejected"
	StatusRetry    = "retry"
)

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// Add posts the contacts as "dnc.add" and sets each contact's ExpiresAt to the end sent (rounded
// up to the second; zero for none).
func (c *Client) Add(ctx context.Context, contacts []destination.Contact) []error {
	return c.write(ctx, "add", contacts)
}

// Remove posts the contacts as "dnc.remove".
func (c *Client) Remove(ctx context.Context, contacts []destination.Contact) []error {
	return c.write(ctx, "remove", contacts)
}

// Ping posts a "dnc.ping" without numbers, for a setup check: nil when the receiver answered 2xx.
// Its timestamp is the time it is sent, the only event it has.
func (c *Client) Ping(ctx context.Context) error {
	r, err := c.post(ctx, "ping", Body{Type: TypePing, Timestamp: c.now().UTC().Truncate(time.Millisecond),
		Data: Data{Action: "ping", Numbers: []Number{}}})
	if err != nil {
		return err
	}
	if r.status/100 != 2 {
		return statusError("ping", r)
	}
	return nil
}

// part is one request's numbers, each with the contacts it stands for.
type part struct {
	numbers []Number
	idx     [][]int
}

func (p part) sub(lo, hi int) part { return part{numbers: p.numbers[lo:hi], idx: p.idx[lo:hi]} }

func (p part) setAll(out []error, err error) {
	for _, is := range p.idx {
		for _, i := range is {
			out[i] = err
		}
	}
}

func (c *Client) write(ctx context.Context, op string, contacts []destination.Contact) []error {
	out := make([]error, len(contacts))
	p := c.plan(op, contacts, out)
	var stop error
	size := int(c.maxBatch.Load())
	for lo := 0; lo < len(p.numbers); lo += size {
		q := p.sub(lo, min(lo+size, len(p.numbers)))
		if stop != nil {
			q.setAll(out, stop)
			continue
		}
		stop = c.send(ctx, op, q, out)
	}
	return out
}

// plan builds the batch's numbers: each once, with the longest of its ends (an opt-out is never
// shortened) and the latest time it was asked for, sorted by number so that the same numbers make
// the same body (and webhook-id) however the batch was put together; a number that is not E.164
// gets a Permanent error in out.
func (c *Client) plan(op string, contacts []destination.Contact, out []error) part {
	var p part
	at := map[string]int{}
	for i, ct := range contacts {
		if !e164.MatchString(ct.Number) {
			out[i] = &destination.Error{Kind: destination.Permanent, Dest: Dest, Op: op, Msg: "not an E.164 number"}
			continue
		}
		k, ok := at[ct.Number]
		if ok && !ct.OccurredAt.IsZero() {
			if o := p.numbers[k].OccurredAt; o == nil || ct.OccurredAt.After(*o) {
				p.numbers[k].OccurredAt = occurred(ct.OccurredAt)
			}
		}
		if !ok {
			k = len(p.numbers)
			at[ct.Number] = k
			p.numbers = append(p.numbers, Number{PhoneNumber: ct.Number, Reason: ct.Reason, Source: ct.Source,
				OccurredAt: occurred(ct.OccurredAt)})
			p.idx = append(p.idx, nil)
			if op == "add" && !ct.ExpiresAt.IsZero() {
				e := ceilSecond(ct.ExpiresAt)
				p.numbers[k].ExpiresAt = &e
			}
		} else if op == "add" {
			if e := p.numbers[k].ExpiresAt; e != nil && (ct.ExpiresAt.IsZero() || ct.ExpiresAt.After(*e)) {
				p.numbers[k].ExpiresAt = nil
				if !ct.ExpiresAt.IsZero() {
					x := ceilSecond(ct.ExpiresAt)
					p.numbers[k].ExpiresAt = &x
				}
			}
		}
		p.idx[k] = append(p.idx[k], i)
	}
	if op == "add" {
		for k, n := range p.numbers {
			for _, i := range p.idx[k] {
				contacts[i].ExpiresAt = time.Time{}
				if n.ExpiresAt != nil {
					contacts[i].ExpiresAt = *n.ExpiresAt // what the receiver was told, for the evidence
				}
			}
		}
	}
	sort.Sort(byNumber(p))
	return p
}

// byNumber sorts a part's numbers, with their contacts.
type byNumber part

func (b byNumber) Len() int           { return len(b.numbers) }
func (b byNumber) Less(i, j int) bool { return b.numbers[i].PhoneNumber < b.numbers[j].PhoneNumber }
func (b byNumber) Swap(i, j int) {
	b.numbers[i], b.numbers[j] = b.numbers[j], b.numbers[i]
	b.idx[i], b.idx[j] = b.idx[j], b.idx[i]
}

// occurred is an event time as occurredAt carries it: UTC, to the millisecond (the precision
// intake keeps); nil when unknown.
func occurred(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC().Truncate(time.Millisecond)
	return &u
}

// eventTime is a request's timestamp: when the newest of its numbers' events occurred (the
// Standard Webhooks payload's timestamp is the event's, not the delivery's), so that the same
// numbers always make the same body. Without any event time (a caller that gives none) it is now.
func (c *Client) eventTime(p part) time.Time {
	var t time.Time
	for _, n := range p.numbers {
		if n.OccurredAt != nil && n.OccurredAt.After(t) {
			t = *n.OccurredAt
		}
	}
	if t.IsZero() {
		t = c.now().UTC().Truncate(time.Millisecond)
	}
	return t
}

// ceilSecond is t in UTC rounded up to the second, the precision expiresAt is written in.
func ceilSecond(t time.Time) time.Time {
	u := t.UTC().Truncate(time.Second)
	if u.Before(t) {
		u = u.Add(time.Second)
	}
	return u
}

// send posts one request and settles its numbers in out. It returns the error that should stop
// the rest of the batch: a 429, or a fault of the deployment.
func (c *Client) send(ctx context.Context, op string, p part, out []error) error {
	typ := TypeAdd
	if op == "remove" {
		typ = TypeRemove
	}
	r, err := c.post(ctx, op, Body{Type: typ, Timestamp: c.eventTime(p), Data: Data{Action: op, Numbers: p.numbers}})
	if err != nil {
		p.setAll(out, err)
		return stopping(err)
	}
	switch {
	case r.status/100 == 2:
		p.apply(op, r.body, out)
		return nil
	case r.status == http.StatusRequestEntityTooLarge && len(p.numbers) > 1:
		h := len(p.numbers) / 2
		if stop := c.send(ctx, op, p.sub(0, h), out); stop != nil {
			p.sub(h, len(p.numbers)).setAll(out, stop)
			return stop
		}
		if stop := c.send(ctx, op, p.sub(h, len(p.numbers)), out); stop != nil {
			return stop
		}
		c.lowerBatch(len(p.numbers) - h)
		return nil
	}
	err = statusError(op, r)
	p.setAll(out, err)
	return stopping(err)
}

// apply settles a 2xx: every number confirmed, except those an Answer's results say otherwise of.
func (p part) apply(op string, body []byte, out []error) {
	p.setAll(out, nil)
	var a Answer
	if len(body) == 0 || json.Unmarshal(body, &a) != nil {
		return
	}
	at := make(map[string]int, len(p.numbers))
	for k, n := range p.numbers {
		at[n.PhoneNumber] = k
	}
	for _, res := range a.Results {
		k, ok := at[res.PhoneNumber]
		if !ok {
			continue // names no number of this request
		}
		var err error
		reason := destination.ShortText(res.Error)
		if reason == "" {
			reason = "no reason given"
		}
		switch res.Status {
		case StatusOK, "":
			continue
		case StatusRejected:
			// The receiver's word, but a receiver that rejects every number (a contract it no
			// longer speaks) would read the same: the pusher decides whose fault it is.
			err = &destination.Error{Kind: destination.Refused, Dest: Dest, Op: op, Record: true, Msg: "the receiver rejected the number: " + reason}
		default: // StatusRetry, or a status this contract does not know: never a success
			err = &destination.Error{Kind: destination.Transient, Dest: Dest, Op: op, Record: true, Msg: "the receiver did not apply the number (" +
				destination.ShortText(res.Status) + "): " + reason}
		}
		for _, i := range p.idx[k] {
			out[i] = err
		}
	}
}

type response struct {
	status int
	body   []byte
	header http.Header
}

// post signs and sends one request through the one API caller (httpcall): the pacer, a 429 as a
// RateLimited error after the pacer was told, a transport failure as a redacted Transient one, a
// redirect refused.
func (c *Client) post(ctx context.Context, op string, b Body) (response, error) {
	payload, err := json.Marshal(b)
	if err != nil {
		return response{}, &destination.Error{Kind: destination.Permanent, Dest: Dest, Op: op, Msg: "encode request", Err: err}
	}
	r, err := c.call.Do(ctx, op, http.MethodPost, c.url, payload)
	return response{status: r.Status, body: r.Body, header: r.Header}, err
}

// statusError classifies a status other than 2xx and 429 (see the package doc).
func statusError(op string, r response) *destination.Error {
	e := &destination.Error{Kind: destination.Config, Dest: Dest, Op: op, Status: r.status, Msg: "the receiver refused the request" + excerpt(r)}
	switch {
	case r.status == http.StatusRequestTimeout || r.status == http.StatusTooEarly || r.status >= 500:
		e.Kind, e.Msg = destination.Transient, "the receiver failed"+excerpt(r)
	case r.status/100 == 3:
		e.Msg = "DNCSYNC_WEBHOOK_DEST_URL redirects elsewhere; set it to the final URL"
	case r.status == http.StatusUnauthorized || r.status == http.StatusForbidden:
		e.Msg = "the receiver refused the signature; check DNCSYNC_WEBHOOK_DEST_SECRET" + excerpt(r)
	case r.status == http.StatusNotFound || r.status == http.StatusMethodNotAllowed || r.status == http.StatusGone:
		e.Msg = "nothing receives POSTs at DNCSYNC_WEBHOOK_DEST_URL" + excerpt(r)
	case r.status < 400:
		e.Kind, e.Msg = destination.Transient, "unexpected answer"+excerpt(r)
	}
	return e
}

// excerpt is a short, log-safe quote of an answer's body.
func excerpt(r response) string {
	s := destination.ShortText(string(r.body))
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

func stopping(err error) error {
	if k := destination.KindOf(err); k == destination.RateLimited || k == destination.Config {
		return err
	}
	return nil
}

// lowerBatch remembers a smaller request size after a 413.
func (c *Client) lowerBatch(n int) {
	for {
		cur := c.maxBatch.Load()
		if int64(n) >= cur || n < 1 || c.maxBatch.CompareAndSwap(cur, int64(n)) {
			return
		}
	}
}
