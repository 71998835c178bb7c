package intake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

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
}

type wireEvent struct {
	fields
	Data *fields `json:"data"`
}

// pick returns the first non-empty value: top level first, then data.
func pick(vals ...text) string {
	for _, v := range vals {
		if s := strings.TrimSpace(string(v)); s != "" {
			return s
		}
	}
	return ""
}

// eventActions maps the CXone event types to actions.
var eventActions = map[string]queue.Action{
	"contact.opt_out":            queue.Add,
	"contact.do_not_call.add":    queue.Add,
	"contact.opt_in":             queue.Remove,
	"contact.do_not_call.remove": queue.Remove,
}

// parsed is one event read from the wire, before normalization.
type parsed struct {
	raw     string // phone number as received
	region  string
	ev      queue.Event
	rawJSON json.RawMessage
}

// badRequest is an event the sender must fix (400).
type badRequest struct{ msg string }

func (e *badRequest) Error() string { return e.msg }

func bad(format string, args ...any) error { return &badRequest{fmt.Sprintf(format, args...)} }

// parseEvent reads one event object. now is the receipt time.
func parseEvent(raw json.RawMessage, now time.Time, defaultRegion string) (parsed, error) {
	var w wireEvent
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&w); err != nil {
		return parsed{}, bad("event is not a JSON object of the documented shape: %v", err)
	}
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
	p := parsed{rawJSON: raw}
	p.raw = pick(w.PhoneNumber, d.PhoneNumber, contact(&w.fields), contact(d))
	if p.raw == "" {
		return p, bad("no phoneNumber in the event (looked at phoneNumber, data.phoneNumber, data.contact.phoneNumber)")
	}
	action, err := parseAction(pick(w.Action, d.Action), pick(w.EventType, d.EventType))
	if err != nil {
		return p, err
	}
	occurred := now
	if s := pick(w.OccurredAt, d.OccurredAt); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return p, bad("occurredAt %q is not an RFC 3339 time", s)
		}
		if t.Before(time.Unix(0, 0)) {
			return p, bad("occurredAt %q is before 1970", s)
		}
		// Nobody asked after we heard it: a clock ahead must not let one event win ordering forever.
		if t.Before(now) {
			occurred = t
		}
	}
	var expires time.Time
	if s := pick(w.ExpiresAt, d.ExpiresAt); s != "" {
		if expires, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return p, bad("expiresAt %q is not an RFC 3339 time", s)
		}
	}
	p.region = strings.ToUpper(pick(w.Country, d.Country))
	if p.region == "" {
		p.region = defaultRegion
	}
	p.ev = queue.Event{
		ID: pick(w.EventID, d.EventID), Raw: p.raw, Action: action,
		Source: pick(w.Source, d.Source), Channel: pick(w.Channel, d.Channel),
		Reason: pick(w.Reason, d.Reason), Scope: pick(w.Scope, d.Scope),
		OccurredAt: occurred.Truncate(time.Millisecond), ReceivedAt: now.Truncate(time.Millisecond),
		ExpiresAt: expires.Truncate(time.Millisecond), // stores keep ms: an unrounded value would look changed on every repeat
	}
	return p, nil
}

func parseAction(action, eventType string) (queue.Action, error) {
	if action != "" {
		a := queue.Action(strings.ToLower(action))
		if !a.Valid() {
			return "", bad("action %q is not add or remove", action)
		}
		return a, nil
	}
	if eventType == "" {
		return queue.Add, nil
	}
	if a, ok := eventActions[eventType]; ok {
		return a, nil
	}
	return "", bad("eventType %q is not one of contact.opt_out, contact.do_not_call.add, contact.opt_in, contact.do_not_call.remove", eventType)
}

// splitBody reads a body as one event, an array of events or {"events": [...]}.
func splitBody(body []byte) (events []json.RawMessage, batch bool, err error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, false, bad("empty body")
	}
	switch trimmed[0] {
	case '[':
		if err := json.Unmarshal(trimmed, &events); err != nil {
			return nil, true, bad("body is not valid JSON: %v", err)
		}
		return events, true, nil
	case '{':
		if !bytes.Contains(trimmed, []byte(`"events"`)) {
			// The common single event: a validating scan, not a second decode; parseEvent reads it.
			if !json.Valid(trimmed) {
				return nil, false, bad("body is not valid JSON")
			}
			return []json.RawMessage{trimmed}, false, nil
		}
		var probe struct {
			Events *[]json.RawMessage `json:"events"`
		}
		if err := json.Unmarshal(trimmed, &probe); err != nil {
			return nil, false, bad("body is not valid JSON: %v", err)
		}
		if probe.Events != nil {
			return *probe.Events, true, nil
		}
		return []json.RawMessage{trimmed}, false, nil
	}
	return nil, false, bad("body is not a JSON object or array")
}
