package intake

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// FuzzParseEvent feeds arbitrary bodies through splitBody and parseEvent, as OptOut does. Nothing
// may panic, every failure must be the sender's (a *badRequest: 400), and every event that parses
// must be one the store accepts once its number is normalized: a parsed event the store refused
// would answer 503 and make the sender retry it forever.
func FuzzParseEvent(f *testing.F) {
	for _, body := range []string{
		`{"eventType":"contact.opt_out","data":{"phoneNumber":"(415) 555-2671"}}`,
		`{"eventType":"contact.do_not_call.add","data":{"contact":{"phoneNumber":"+1 415 555 2671"}}}`,
		`{"eventType":"contact.opt_in","data":{"phoneNumber":"4155552671"}}`,
		`{"eventType":"contact.do_not_call.remove","data":{"contact":{"phoneNumber":"4155552671"}}}`,
		`{"phoneNumber":"4155552671","action":"REMOVE","country":"gb","eventId":"e1"}`,
		`{"data":{"phoneNumber":4155552671,"action":"add","occurredAt":"2025-05-31T10:30:15.123+02:00"}}`,
		`{"phoneNumber":"4155552671","occurredAt":"2099-01-01T00:00:00Z","expiresAt":"2031-01-01T00:00:00Z"}`,
		`{"phoneNumber":"4155552671","source":"s","channel":"c","reason":"r","scope":"b"}`,
		`{"phoneNumber":"12"}`,
		`{"phoneNumber":null,"data":null}`,
		`{"phoneNumber":{"x":1}}`,
		`{"phoneNumber":"4155552671","action":"delete"}`,
		`{"eventType":"contact.created","phoneNumber":"1"}`,
		`{"phoneNumber":"1","occurredAt":"yesterday"}`,
		`[{"phoneNumber":"4155552671"},42,"junk",{"action":"add"}]`,
		`{"events":[{"phoneNumber":"4155552671"},{"events":[]}]}`,
		`{"events":null}`,
		`[]`,
		`{"phoneNumber":"4155552671"`,
		``,
		`"4155552671"`,
		`{"phoneNumber":"+14155550450","events":[]}`,
		`{"phoneNumber":"1","phoneNumber":"2"}`,
		`{"phoneNumber":"1","PhoneNumber":"2","data":{"a":[{"b":1,"B":2}]}}`,
		`{"phone\u004eumber":"4155552671","x":"\ud83d\ude00\/"}`,
		`{"eventType":"contact.opt_out","action":"remove","phoneNumber":"4155552671"}`,
		`{"phoneNumber":"4155552671","expiresAt":"2001-01-01T00:00:00Z"}`,
		`{"phoneNumber":"4155552671","data":{"phoneNumber":"2125550100"}}`,
		`{"phoneNumber":-1.5e3,"n":[true,false,null,0,-0.1,1E9]}`,
	} {
		f.Add([]byte(body))
	}
	now := time.Date(2025, 6, 1, 12, 0, 0, 123_456_789, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		raws, batch, err := splitBody(body)
		if err == nil && !json.Valid(body) {
			t.Fatalf("splitBody accepted %q, which is not JSON", body)
		}
		if err != nil {
			var br *badRequest
			if !errors.As(err, &br) {
				t.Fatalf("splitBody error %v (%T) is not a badRequest", err, err)
			}
			return
		}
		if !batch && len(raws) != 1 {
			t.Fatalf("a single event split into %d", len(raws))
		}
		for _, raw := range raws {
			if !json.Valid(raw) {
				t.Fatalf("splitBody returned invalid JSON %q", raw)
			}
			p, err := parseEvent(raw, now, "US")
			if err != nil {
				var br *badRequest
				if !errors.As(err, &br) {
					t.Fatalf("parseEvent(%s) error %v (%T) is not a badRequest", raw, err, err)
				}
				continue
			}
			ev := p.ev
			switch {
			case p.raw == "" || ev.Raw != p.raw:
				t.Fatalf("parseEvent(%s): raw number %q, event Raw %q", raw, p.raw, ev.Raw)
			case !ev.Action.Valid():
				t.Fatalf("parseEvent(%s): action %q", raw, ev.Action)
			case !ev.ReceivedAt.Equal(now.Truncate(time.Millisecond)):
				t.Fatalf("parseEvent(%s): ReceivedAt %v, want %v", raw, ev.ReceivedAt, now)
			case ev.OccurredAt.After(ev.ReceivedAt):
				t.Fatalf("parseEvent(%s): OccurredAt %v after ReceivedAt %v", raw, ev.OccurredAt, ev.ReceivedAt)
			case p.region == "":
				t.Fatalf("parseEvent(%s): no region", raw)
			case !ev.ExpiresAt.IsZero() && (!ev.ExpiresAt.After(now) || ev.Action != queue.Add):
				t.Fatalf("parseEvent(%s): expiry %v on a %s at %v", raw, ev.ExpiresAt, ev.Action, now)
			}
			ev.Number = "+14155552671" // what phone.Parse would make of it
			if err := ev.Validate(); err != nil {
				t.Fatalf("parseEvent(%s) = %+v, which the store refuses: %v", raw, ev, err)
			}
		}
	})
}
