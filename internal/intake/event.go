package intake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/consent"
	"github.com/dncsync/dncsync/internal/queue"
)

// text accepts a JSON string or number: senders write phone numbers both ways.
type text string

func (t *text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = text(s)
		return nil
	}
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("want a string")
	}
	*t = text(n.String())
	return nil
}

// fields are the keys an event may carry at top level or under "data".
type fields struct {
	EventType   text `json:"eventType"`
	PhoneNumber text `json:"phoneNumber"`
	Contact     *struct {
		PhoneNumber text `json:"phoneNumber"`
	} `json:"contact"`
	Action     text `json:"action"`
	Country    text `json:"country"`
	OccurredAt text `json:"occurredAt"`
	EventID    text `json:"eventId"`
	Source     text `json:"source"`
	Channel    text `json:"channel"`
	Reason     text `json:"reason"`
	Scope      text `json:"scope"`
	ExpiresAt  text `json:"expiresAt"`
	// The consent scope (consent.Scope): the channel the request is about (voice, sms, email or
	// all; absent: all), what for, and the brand, a synonym of scope (either may be given; both
	// must agree).
	ConsentChannel text `json:"consentChannel"`
	Purpose        text `json:"purpose"`
	Brand          text `json:"brand"`
}

type wireEvent struct {
	fields
	Data *fields `json:"data"`
	// What the import endpoint reads beyond the webhook's event (Config.Import): a row's problem
	// and the identical rows folded into it (ImportRow). Other endpoints ignore them.
	ImportProblem text `json:"importProblem"`
	ImportRepeats text `json:"importRepeats"`
}

// eventActions maps the CXone event types to actions.
var eventActions = map[string]queue.Action{
	"contact.opt_out":            queue.Add,
	"contact.do_not_call.add":    queue.Add,
	"contact.opt_in":             queue.Remove,
	"contact.do_not_call.remove": queue.Remove,
}

// parsed is one event read from the wire, before normalization. On a parse error it still holds
// what could be read (raw number, region, source, channel, id), so that the refusal is recorded.
type parsed struct {
	raw    string   // phone number as received
	others []string // further numbers the event gave in other places (a conflict: refused)
	region string
	ev     queue.Event
	// importProblem and importRepeats are the event's import fields as sent (wireEvent).
	importProblem, importRepeats string
}

// badRequest is an event or body the sender must fix (400). Code is a stable reason recorded with
// the refusal (invalid_json, no_phone_number, expires_in_past, ...).
type badRequest struct{ code, msg string }

func (e *badRequest) Error() string { return e.msg }

func badCode(code, format string, args ...any) error {
	return &badRequest{code: code, msg: fmt.Sprintf(format, args...)}
}

// codeOf is the stable reason of a 400.
func codeOf(err error) string {
	var b *badRequest
	if errors.As(err, &b) {
		return b.code
	}
	return "invalid_event"
}

// one returns the single value a field has wherever the event puts it (top level, data, contact).
// The same value twice is fine; two different ones are a contradiction the sender must resolve:
// picking one would silently drop the other.
func one(name string, vals ...text) (string, error) {
	var v string
	for _, t := range vals {
		s := strings.TrimSpace(string(t))
		switch {
		case s == "":
		case v == "":
			v = s
		case s != v:
			return v, badCode("conflicting_fields", "%s is given twice with different values; send one", name)
		}
	}
	return v, nil
}

// parseEvent reads one event object. now is the receipt time. Duplicate keys were refused when the
// body was scanned (scanBody).
func parseEvent(raw json.RawMessage, now time.Time, defaultRegion string) (parsed, error) {
	var w wireEvent
	if err := json.Unmarshal(raw, &w); err != nil {
		p := parsed{region: defaultRegion, ev: queue.Event{ReceivedAt: now.Truncate(time.Millisecond)}}
		return p, badCode("invalid_event", "event is not a JSON object of the documented shape: %v", err)
	}
	return readEvent(&w, now, defaultRegion)
}

// readEvent applies the event's rules to what was read of it (w).
func readEvent(w *wireEvent, now time.Time, defaultRegion string) (parsed, error) {
	p := parsed{region: defaultRegion, ev: queue.Event{ReceivedAt: now.Truncate(time.Millisecond)}}
	p.importProblem, p.importRepeats = strings.TrimSpace(string(w.ImportProblem)), strings.TrimSpace(string(w.ImportRepeats))
	d := w.Data
	if d == nil {
		d = &fields{}
	}
	contact := func(f *fields) text {
		if f.Contact != nil {
			return f.Contact.PhoneNumber
		}
		return ""
	}
	// Every field is read before any rule is applied, so that a refusal records what was sent.
	var errs []error
	get := func(name string, vals ...text) string {
		v, err := one(name, vals...)
		errs = append(errs, err)
		return v
	}
	phones := []text{w.PhoneNumber, d.PhoneNumber, contact(&w.fields), contact(d)}
	p.raw = get("phoneNumber", phones...)
	for _, t := range phones {
		if s := strings.TrimSpace(string(t)); s != "" && s != p.raw && !slices.Contains(p.others, s) {
			p.others = append(p.others, s)
		}
	}
	if c := get("country", w.Country, d.Country); c != "" {
		p.region = strings.ToUpper(c)
	}
	p.ev = queue.Event{ID: get("eventId", w.EventID, d.EventID), Raw: p.raw,
		Source: get("source", w.Source, d.Source), Channel: get("channel", w.Channel, d.Channel),
		Reason: get("reason", w.Reason, d.Reason), Scope: get("scope", w.Scope, d.Scope, w.Brand, d.Brand),
		ConsentChannel: get("consentChannel", w.ConsentChannel, d.ConsentChannel),
		Purpose:        get("purpose", w.Purpose, d.Purpose), ReceivedAt: now.Truncate(time.Millisecond)}
	action, eventType := get("action", w.Action, d.Action), get("eventType", w.EventType, d.EventType)
	occurredAt, expiresAt := get("occurredAt", w.OccurredAt, d.OccurredAt), get("expiresAt", w.ExpiresAt, d.ExpiresAt)
	if err := errors.Join(errs...); err != nil {
		return p, err
	}
	if p.raw == "" {
		return p, badCode("no_phone_number", "no phoneNumber in the event (looked at phoneNumber, data.phoneNumber, data.contact.phoneNumber)")
	}
	var err error
	if p.ev.Action, err = parseAction(action, eventType); err != nil {
		return p, err
	}
	sc, err := consent.ParseScope(p.ev.ConsentChannel, p.ev.Purpose, p.ev.Scope)
	if err != nil {
		return p, badCode("bad_consent_channel", "consentChannel: %v", err)
	}
	p.ev.ConsentChannel, p.ev.Purpose, p.ev.Scope = string(sc.Channel), sc.Purpose, sc.Brand
	occurred := now
	if occurredAt != "" {
		t, err := time.Parse(time.RFC3339Nano, occurredAt)
		if err != nil {
			return p, badCode("bad_occurred_at", "occurredAt %q is not an RFC 3339 time", truncate(occurredAt, 64))
		}
		if t.Before(time.Unix(0, 0)) {
			return p, badCode("bad_occurred_at", "occurredAt %q is before 1970", occurredAt)
		}
		// Nobody asked after we heard it: a clock ahead must not let one event win ordering forever.
		if t.Before(now) {
			occurred = t
		}
	}
	p.ev.OccurredAt = occurred.Truncate(time.Millisecond)
	if expiresAt != "" {
		t, err := time.Parse(time.RFC3339Nano, expiresAt)
		switch {
		case err != nil:
			return p, badCode("bad_expires_at", "expiresAt %q is not an RFC 3339 time", truncate(expiresAt, 64))
		case p.ev.Action == queue.Remove:
			return p, badCode("expiry_on_removal", "expiresAt is the end of an opt-out; a removal has none")
		case !t.After(now):
			// An opt-out that ends before it starts asks for nothing, and pushed as it stands it
			// would end the person's existing entry: refused, never applied.
			return p, badCode("expires_in_past", "expiresAt %s is not in the future: an opt-out that has already ended asks for nothing", expiresAt)
		}
		// Stores keep ms: an unrounded value would look changed on every repeat.
		p.ev.ExpiresAt = t.Truncate(time.Millisecond)
	}
	return p, nil
}

// parseAction reads action and eventType; when both are given they must agree.
func parseAction(action, eventType string) (queue.Action, error) {
	var fromType queue.Action
	if eventType != "" {
		a, ok := eventActions[eventType]
		if !ok {
			return "", badCode("bad_event_type", "eventType %q is not one of contact.opt_out, contact.do_not_call.add, contact.opt_in, contact.do_not_call.remove", truncate(eventType, 64))
		}
		fromType = a
	}
	if action == "" {
		if fromType == "" {
			return queue.Add, nil
		}
		return fromType, nil
	}
	a := queue.Action(strings.ToLower(action))
	if !a.Valid() {
		return "", badCode("bad_action", "action %q is not add or remove", truncate(action, 64))
	}
	if fromType != "" && a != fromType {
		return "", badCode("contradictory_action", "action %q contradicts eventType %q; send one, or both meaning the same", action, eventType)
	}
	return a, nil
}

// splitBody reads a body as one event, an array of events or {"events": [...]}.
func splitBody(body []byte) (events []json.RawMessage, batch bool, err error) {
	sc, err := scanBody(body)
	if err != nil {
		return nil, false, err
	}
	if !sc.object {
		return sc.events, true, nil
	}
	if sc.isBatch {
		if len(sc.keys) > 1 {
			// {"phoneNumber": ..., "events": [...]} is neither: taking the batch would drop the
			// single event, and the reverse the batch.
			return nil, true, badCode("event_and_batch", `a body is one event or {"events":[...]}, not both: move the other fields into the events`)
		}
		return sc.events, true, nil
	}
	return []json.RawMessage{bytes.TrimSpace(body)}, false, nil
}
