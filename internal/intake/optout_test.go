package intake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/dncsync/dncsync/internal/intake"
	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/boltq"
)

// receivedAt is the handlers' clock in tests that check stored times: fixed, and in the past so that
// the store (which uses the real clock) sees every entry as due.
var receivedAt = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func TestOptOut(t *testing.T) {
	t.Parallel()

	type testBundle struct {
		q   *boltq.Store
		srv *httptest.Server
	}

	setup := func(t *testing.T) *testBundle {
		t.Helper()
		q := openStore(t)
		h := intake.New(q, intake.Config{Now: func() time.Time { return receivedAt }})
		return &testBundle{q: q, srv: serve(t, h)}
	}

	t.Run("TutorialShapes", func(t *testing.T) {
		t.Parallel()
		for name, body := range map[string]string{
			"opt_out":         `{"eventType":"contact.opt_out","data":{"phoneNumber":"(415) 555-2671"}}`,
			"do_not_call.add": `{"eventType":"contact.do_not_call.add","data":{"contact":{"phoneNumber":"+1 415 555 2671"}}}`,
		} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				b := setup(t)
				res := post(t, b.srv.URL, body, nil)
				res.want(t, http.StatusOK, `{"status":"accepted","phoneNumber":"+14155552671"}`)
				items := claimAll(t, b.q)
				if len(items) != 1 {
					t.Fatalf("store holds %d entries, want 1: %+v", len(items), items)
				}
				it := items["+14155552671"]
				if it.Action != queue.Add || it.Events != 1 || !it.FirstReceivedAt.Equal(receivedAt) ||
					!it.OccurredAt.Equal(receivedAt) {
					t.Fatalf("stored %+v, want one add received and occurred at %v", it, receivedAt)
				}
				noRejections(t, b.q)
			})
		}
	})

	t.Run("GenericFields", func(t *testing.T) {
		t.Parallel()
		occurred := time.Date(2025, 5, 31, 8, 30, 15, 123_000_000, time.UTC)
		expires := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
		for _, tc := range []struct {
			name   string
			body   string
			number string
			answer string // exact JSON answer; empty: accepted for number without eventId
			check  func(t *testing.T, it queue.Item)
		}{
			{name: "top level, default action add", body: `{"phoneNumber":"415-555-2671"}`, number: "+14155552671",
				check: wantAction(queue.Add)},
			{name: "action remove at top level", body: `{"phoneNumber":"4155552671","action":"remove"}`,
				number: "+14155552671", check: wantAction(queue.Remove)},
			{name: "action add under data", body: `{"data":{"phoneNumber":"4155552671","action":"add"}}`,
				number: "+14155552671", check: wantAction(queue.Add)},
			{name: "action REMOVE under data, any case", body: `{"data":{"phoneNumber":"4155552671","action":"REMOVE"}}`,
				number: "+14155552671", check: wantAction(queue.Remove)},
			{name: "eventType contact.opt_in", body: `{"eventType":"contact.opt_in","data":{"phoneNumber":"4155552671"}}`,
				number: "+14155552671", check: wantAction(queue.Remove)},
			{name: "eventType contact.do_not_call.remove",
				body:   `{"eventType":"contact.do_not_call.remove","data":{"contact":{"phoneNumber":"4155552671"}}}`,
				number: "+14155552671", check: wantAction(queue.Remove)},
			{name: "eventType under data", body: `{"data":{"eventType":"contact.opt_in","phoneNumber":"4155552671"}}`,
				number: "+14155552671", check: wantAction(queue.Remove)},
			{name: "action agreeing with eventType",
				body:   `{"eventType":"contact.opt_in","action":"REMOVE","phoneNumber":"4155552671"}`,
				number: "+14155552671", check: wantAction(queue.Remove)},
			{name: "one number with a short extension",
				body: `{"phoneNumber":"415-555-2671;ext=12"}`, number: "+14155552671"},
			{name: "country GB, national number", body: `{"phoneNumber":"020 7946 0018","country":"GB"}`,
				number: "+442079460018", check: func(t *testing.T, it queue.Item) {
					if it.Raw != "020 7946 0018" {
						t.Errorf("Raw = %q, want the number as received", it.Raw)
					}
				}},
			{name: "country gb under data, lower case", body: `{"data":{"phoneNumber":"020 7946 0958","country":"gb"}}`,
				number: "+442079460958"},
			{name: "country ignored for a + number", body: `{"phoneNumber":"+1 415 555 2671","country":"GB"}`,
				number: "+14155552671"},
			{name: "occurredAt honoured",
				body:   `{"phoneNumber":"4155552671","occurredAt":"2025-05-31T10:30:15.123+02:00"}`,
				number: "+14155552671", check: func(t *testing.T, it queue.Item) {
					if !it.OccurredAt.Equal(occurred) {
						t.Errorf("OccurredAt = %v, want %v", it.OccurredAt, occurred)
					}
					if !it.FirstReceivedAt.Equal(receivedAt) {
						t.Errorf("FirstReceivedAt = %v, want the receipt time %v", it.FirstReceivedAt, receivedAt)
					}
				}},
			{name: "occurredAt under data", body: `{"data":{"phoneNumber":"4155552671","occurredAt":"2025-05-31T08:30:15.123Z"}}`,
				number: "+14155552671", check: func(t *testing.T, it queue.Item) {
					if !it.OccurredAt.Equal(occurred) {
						t.Errorf("OccurredAt = %v, want %v", it.OccurredAt, occurred)
					}
				}},
			{name: "occurredAt in the future clamped to receipt",
				body:   `{"phoneNumber":"4155552671","occurredAt":"2099-01-01T00:00:00Z"}`,
				number: "+14155552671", check: func(t *testing.T, it queue.Item) {
					if !it.OccurredAt.Equal(receivedAt) {
						t.Errorf("OccurredAt = %v, want it clamped to the receipt time %v", it.OccurredAt, receivedAt)
					}
				}},
			{name: "eventId in the answer", body: `{"phoneNumber":"4155552671","eventId":"evt-1"}`,
				number: "+14155552671", answer: `{"status":"accepted","phoneNumber":"+14155552671","eventId":"evt-1"}`},
			{name: "eventId under data", body: `{"data":{"phoneNumber":"4155552671","eventId":"evt-2"}}`,
				number: "+14155552671", answer: `{"status":"accepted","phoneNumber":"+14155552671","eventId":"evt-2"}`},
			{name: "audit fields kept",
				body:   `{"phoneNumber":"4155552671","source":"studio","channel":"voice","reason":"asked on call","scope":"brand-a"}`,
				number: "+14155552671", check: wantAudit("studio", "voice", "asked on call", "brand-a")},
			{name: "audit fields under data",
				body:   `{"data":{"phoneNumber":"4155552671","source":"sms","channel":"text","reason":"STOP","scope":"bu-7"}}`,
				number: "+14155552671", check: wantAudit("sms", "text", "STOP", "bu-7")},
			{name: "the same value at top level and under data",
				body:   `{"phoneNumber":"4155552671","source":"crm","data":{"phoneNumber":" 4155552671","source":"crm","channel":"web"}}`,
				number: "+14155552671", check: wantAudit("crm", "web", "", "")},
			{name: "expiresAt kept", body: `{"phoneNumber":"4155552671","expiresAt":"2031-01-01T00:00:00Z"}`,
				number: "+14155552671", check: func(t *testing.T, it queue.Item) {
					if !it.ExpiresAt.Equal(expires) {
						t.Errorf("ExpiresAt = %v, want %v", it.ExpiresAt, expires)
					}
				}},
			{name: "no expiresAt: no end", body: `{"phoneNumber":"4155552671"}`, number: "+14155552671",
				check: func(t *testing.T, it queue.Item) {
					if !it.ExpiresAt.IsZero() {
						t.Errorf("ExpiresAt = %v, want zero", it.ExpiresAt)
					}
				}},
			{name: "phoneNumber as a JSON number", body: `{"phoneNumber":4155552671}`, number: "+14155552671",
				check: func(t *testing.T, it queue.Item) {
					if it.Raw != "4155552671" {
						t.Errorf("Raw = %q, want 4155552671", it.Raw)
					}
				}},
			{name: "phoneNumber as a JSON number with country code", body: `{"data":{"phoneNumber":14155552671}}`,
				number: "+14155552671"},
			{name: "null fields ignored", body: `{"phoneNumber":"4155552671","action":null,"data":null}`,
				number: "+14155552671", check: wantAction(queue.Add)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				b := setup(t)
				answer := tc.answer
				if answer == "" {
					answer = fmt.Sprintf(`{"status":"accepted","phoneNumber":%q}`, tc.number)
				}
				post(t, b.srv.URL, tc.body, nil).want(t, http.StatusOK, answer)
				items := claimAll(t, b.q)
				it, ok := items[tc.number]
				if !ok || len(items) != 1 {
					t.Fatalf("store holds %v, want only %s", keys(items), tc.number)
				}
				if it.Events != 1 {
					t.Errorf("Events = %d, want 1", it.Events)
				}
				if tc.check != nil {
					tc.check(t, it)
				}
				noRejections(t, b.q)
			})
		}
	})

	t.Run("MediaTypes", func(t *testing.T) {
		t.Parallel()
		for _, ct := range []string{"application/json; charset=utf-8", "application/cloudevents+json", "APPLICATION/JSON"} {
			t.Run(ct, func(t *testing.T) {
				t.Parallel()
				b := setup(t)
				post(t, b.srv.URL, `{"phoneNumber":"4155552671"}`, http.Header{"Content-Type": {ct}}).
					want(t, http.StatusOK, `{"status":"accepted","phoneNumber":"+14155552671"}`)
				if n := len(claimAll(t, b.q)); n != 1 {
					t.Fatalf("store holds %d entries, want 1", n)
				}
			})
		}
	})

	t.Run("BadRequests", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			name   string
			body   string
			status string // "error" when the body as a whole is unusable, "invalid" for one bad event
			reason string // the code recorded with the refusal
			number string // the E.164s whose trails get the refusal, space-separated; empty: none
		}{
			{"malformed JSON", `{"phoneNumber":"4155552671"`, "error", "invalid_json", ""},
			{"trailing garbage", `{"phoneNumber":"4155552671"} x`, "error", "invalid_json", ""},
			{"not JSON at all", `phoneNumber=4155552671`, "error", "invalid_json", ""},
			{"empty body", ``, "error", "invalid_json", ""},
			{"a JSON string", `"4155552671"`, "error", "invalid_json", ""},
			{"missing number", `{"eventType":"contact.opt_out","data":{}}`, "invalid", "no_phone_number", ""},
			{"empty number", `{"phoneNumber":"  "}`, "invalid", "no_phone_number", ""},
			{"null number", `{"phoneNumber":null}`, "invalid", "no_phone_number", ""},
			{"number as an object", `{"phoneNumber":{"e164":"+14155552671"}}`, "invalid", "invalid_event", ""},
			{"number as a boolean", `{"phoneNumber":true}`, "invalid", "invalid_event", ""},
			{"bad action", `{"phoneNumber":"4155552671","action":"delete"}`, "invalid", "bad_action", "+14155552671"},
			{"unknown eventType", `{"eventType":"contact.created","data":{"phoneNumber":"4155552671"}}`, "invalid", "bad_event_type", "+14155552671"},
			{"bad occurredAt", `{"phoneNumber":"4155552671","occurredAt":"yesterday"}`, "invalid", "bad_occurred_at", "+14155552671"},
			{"occurredAt without zone", `{"phoneNumber":"4155552671","occurredAt":"2025-05-31T08:30:15"}`, "invalid", "bad_occurred_at", "+14155552671"},
			{"bad expiresAt", `{"phoneNumber":"4155552671","expiresAt":"2031-01-01"}`, "invalid", "bad_expires_at", "+14155552671"},
			{"data not an object", `{"phoneNumber":"4155552671","data":"x"}`, "invalid", "invalid_event", ""},
			// The zero time would reach the store as "no time", which the store refuses: that must be
			// the sender's 400, not a 503 that makes the sender retry the same event forever.
			{"occurredAt the zero time", `{"phoneNumber":"4155552671","occurredAt":"0001-01-01T00:00:00Z"}`, "invalid", "bad_occurred_at", "+14155552671"},
			{"occurredAt the zero time, other zone", `{"phoneNumber":"4155552671","occurredAt":"0001-01-01T02:00:00.0004+02:00"}`, "invalid", "bad_occurred_at", "+14155552671"},
			// An opt-out that has already ended would end the person's listed entry.
			{"expiresAt in the past", `{"phoneNumber":"4155552671","expiresAt":"2001-01-01T00:00:00Z"}`, "invalid", "expires_in_past", "+14155552671"},
			{"expiresAt now", `{"phoneNumber":"4155552671","expiresAt":"2025-06-01T12:00:00Z"}`, "invalid", "expires_in_past", "+14155552671"},
			{"expiresAt on a removal", `{"phoneNumber":"4155552671","action":"remove","expiresAt":"2031-01-01T00:00:00Z"}`, "invalid", "expiry_on_removal", "+14155552671"},
			// Fields that contradict each other: picking one would act on what the sender did not mean.
			{"action contradicts eventType", `{"eventType":"contact.opt_out","action":"remove","phoneNumber":"4155552671"}`, "invalid", "contradictory_action", "+14155552671"},
			{"action contradicts eventType under data", `{"eventType":"contact.opt_in","data":{"action":"add","phoneNumber":"4155552671"}}`, "invalid", "contradictory_action", "+14155552671"},
			{"two numbers in two places", `{"phoneNumber":"4155552671","data":{"phoneNumber":"2125550100"}}`, "invalid", "conflicting_fields", "+14155552671 +12125550100"},
			{"two numbers, contact and data", `{"data":{"phoneNumber":"4155552671","contact":{"phoneNumber":"2125550100"}}}`, "invalid", "conflicting_fields", "+14155552671 +12125550100"},
			{"two actions", `{"phoneNumber":"4155552671","action":"add","data":{"action":"remove"}}`, "invalid", "conflicting_fields", "+14155552671"},
			// A body that is both one event and a batch: either reading drops an opt-out.
			{"event and empty batch", `{"phoneNumber":"+14155550450","events":[]}`, "error", "event_and_batch", ""},
			{"event and batch", `{"phoneNumber":"+14155550450","events":[{"phoneNumber":"4155552671"}]}`, "error", "event_and_batch", ""},
			{"events not an array", `{"events":{"phoneNumber":"4155552671"}}`, "error", "invalid_json", ""},
			// encoding/json keeps the last of two keys, matched without case: the first would be dropped.
			{"duplicate key", `{"phoneNumber":"4155552671","phoneNumber":"2125550100"}`, "error", "duplicate_key", ""},
			{"duplicate key, other case", `{"phoneNumber":"4155552671","PHONENUMBER":"2125550100"}`, "error", "duplicate_key", ""},
			{"duplicate key, escaped", `{"phoneNumber":"4155552671","phone\u004eumber":"2125550100"}`, "error", "duplicate_key", ""},
			{"duplicate key under data", `{"data":{"phoneNumber":"4155552671","phoneNumber":"2125550100"}}`, "error", "duplicate_key", ""},
			{"duplicate key in a batch", `[{"phoneNumber":"4155552671","action":"add","action":"remove"}]`, "error", "duplicate_key", ""},
			{"nested too deep", strings.Repeat("[", 100) + strings.Repeat("]", 100), "error", "invalid_json", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				b := setup(t)
				res := post(t, b.srv.URL, tc.body, nil)
				got := res.object(t, http.StatusBadRequest)
				if got["status"] != tc.status || !nonEmpty(got["error"]) {
					t.Fatalf("answer %s, want status %q and an error", res.body, tc.status)
				}
				if tc.status == "invalid" && (got["code"] != float64(400) || got["reason"] != tc.reason) {
					t.Fatalf("answer %s, want code 400, reason %s", res.body, tc.reason)
				}
				if st, err := b.q.Stats(context.Background()); err != nil || st.Depth() != 0 {
					t.Fatalf("store stats %+v, %v: want nothing queued", st, err)
				}
				// Nothing is acted on, but what was said is kept.
				rejs := rejections(t, b.q)
				var numbers []string
				for _, r := range rejs {
					if r.Reason != tc.reason || !strings.HasPrefix(tc.body, r.Body) || !r.ReceivedAt.Equal(receivedAt) {
						t.Fatalf("rejection %+v, want reason %s", r, tc.reason)
					}
					numbers = append([]string{r.Number}, numbers...)
				}
				if len(rejs) == 0 || strings.TrimSpace(strings.Join(numbers, " ")) != tc.number {
					t.Fatalf("rejections %+v, want them of numbers %q", rejs, tc.number)
				}
			})
		}
	})

	t.Run("InvalidNumbers", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			name, body, raw, reason, region, eventID, source, channel string
		}{
			{name: "too short", body: `{"phoneNumber":"12"}`, raw: "12", reason: "too_short", region: "US"},
			{name: "invalid area code", body: `{"phoneNumber":"+1 200 555 0100","eventId":"e-9","source":"studio","channel":"voice"}`,
				raw: "+1 200 555 0100", reason: "invalid_number", region: "US", eventID: "e-9", source: "studio", channel: "voice"},
			{name: "letters only", body: `{"data":{"phoneNumber":"call me maybe"}}`, raw: "call me maybe", reason: "not_a_number", region: "US"},
			{name: "unknown country", body: `{"phoneNumber":"4155552671","country":"ZZ"}`, raw: "4155552671",
				reason: "unknown_region", region: "ZZ"},
			{name: "GB number without country", body: `{"phoneNumber":"020 7946 0018"}`, raw: "020 7946 0018",
				reason: "too_long", region: "US"},
			// Taking the first of several numbers would drop the others with a 200.
			{name: "two numbers, semicolon", body: `{"phoneNumber":"4155550503;4155550504"}`, raw: "4155550503;4155550504",
				reason: "several_numbers", region: "US"},
			{name: "two numbers, or", body: `{"phoneNumber":"415 555 0503 or 415 555 0504"}`, raw: "415 555 0503 or 415 555 0504",
				reason: "several_numbers", region: "US"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				b := setup(t)
				res := post(t, b.srv.URL, tc.body, nil)
				got := res.object(t, http.StatusUnprocessableEntity)
				if got["status"] != "rejected" || got["code"] != float64(422) || got["reason"] != tc.reason ||
					!strings.Contains(fmt.Sprint(got["error"]), "recorded as rejected") ||
					got["eventId"] != nilIfEmpty(tc.eventID) || got["phoneNumber"] != nil {
					t.Fatalf("answer %s, want rejected, code 422, reason %s, eventId %q", res.body, tc.reason, tc.eventID)
				}
				if items := claimAll(t, b.q); len(items) != 0 {
					t.Fatalf("a rejected number was enqueued: %v", keys(items))
				}
				rejs := rejections(t, b.q)
				want := queue.Rejection{Raw: tc.raw, Body: tc.body, Reason: tc.reason, Region: tc.region,
					Source: tc.source, Channel: tc.channel, EventID: tc.eventID, ReceivedAt: receivedAt}
				if len(rejs) != 1 || !sameRejection(rejs[0], want) {
					t.Fatalf("rejections %+v, want [%+v]", rejs, want)
				}
			})
		}
	})

	t.Run("UnsupportedMediaType", func(t *testing.T) {
		t.Parallel()
		for name, h := range map[string]http.Header{
			"none":       {"Content-Type": {""}},
			"text/plain": {"Content-Type": {"text/plain"}},
			"form":       {"Content-Type": {"application/x-www-form-urlencoded"}},
			"jsonl":      {"Content-Type": {"application/jsonl"}},
			"malformed":  {"Content-Type": {"application/json; charset"}},
		} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				b := setup(t)
				res := post(t, b.srv.URL, `{"phoneNumber":"4155552671"}`, h)
				if got := res.object(t, http.StatusUnsupportedMediaType); got["status"] != "error" || !nonEmpty(got["error"]) {
					t.Fatalf("answer %s, want an error", res.body)
				}
				nothingStored(t, b.q)
			})
		}
	})

	t.Run("BodySize", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		res := post(t, b.srv.URL, padded(intake.MaxBody+1), nil)
		if got := res.object(t, http.StatusRequestEntityTooLarge); !nonEmpty(got["error"]) {
			t.Fatalf("answer %s, want an error", res.body)
		}
		nothingStored(t, b.q)
		// The limit itself is allowed.
		post(t, b.srv.URL, padded(intake.MaxBody), nil).
			want(t, http.StatusOK, `{"status":"accepted","phoneNumber":"+14155552671"}`)
	})

	t.Run("Method", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
			req, err := http.NewRequest(m, b.srv.URL+"/webhook/opt-out", strings.NewReader(`{"phoneNumber":"4155552671"}`))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			res := do(t, req)
			if res.status != http.StatusMethodNotAllowed || !strings.Contains(res.header.Get("Allow"), "POST") {
				t.Fatalf("%s: %d Allow %q, want 405 allowing POST", m, res.status, res.header.Get("Allow"))
			}
		}
		nothingStored(t, b.q)
	})

	t.Run("MethodWithoutMux", func(t *testing.T) {
		t.Parallel()
		// Mounted without a method pattern, the handler still refuses anything but POST.
		q := openStore(t)
		h := intake.New(q, intake.Config{})
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/webhook/opt-out", strings.NewReader(`{"phoneNumber":"4155552671"}`))
		req.Header.Set("Content-Type", "application/json")
		h.OptOut(rec, req)
		res := response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
		if got := res.object(t, http.StatusMethodNotAllowed); got["status"] != "error" || res.header.Get("Allow") != "POST" {
			t.Fatalf("answer %s Allow %q, want an error allowing POST", res.body, res.header.Get("Allow"))
		}
		nothingStored(t, q)
	})

	t.Run("Idempotency", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		post(t, b.srv.URL, `{"phoneNumber":"4155552671","eventId":"evt-7"}`, nil).
			want(t, http.StatusOK, `{"status":"accepted","phoneNumber":"+14155552671","eventId":"evt-7"}`)
		post(t, b.srv.URL, `{"phoneNumber":"4155552671","eventId":"evt-7"}`, nil).
			want(t, http.StatusOK, `{"status":"duplicate","phoneNumber":"+14155552671","eventId":"evt-7"}`)
		// A repeat id for the same number changes nothing, even when the rest of the event differs.
		post(t, b.srv.URL, `{"phoneNumber":"(415) 555-2671","action":"remove","eventId":"evt-7"}`, nil).
			want(t, http.StatusOK, `{"status":"duplicate","phoneNumber":"+14155552671","eventId":"evt-7"}`)
		// Ids are remembered per number: another sender's "evt-7" for another number is its own event.
		post(t, b.srv.URL, `{"phoneNumber":"2125550100","action":"remove","eventId":"evt-7"}`, nil).
			want(t, http.StatusOK, `{"status":"accepted","phoneNumber":"+12125550100","eventId":"evt-7"}`)
		// Without an id, a repeat is a new event for the audit trail.
		post(t, b.srv.URL, `{"phoneNumber":"4155552671"}`, nil).
			want(t, http.StatusOK, `{"status":"accepted","phoneNumber":"+14155552671"}`)
		items := claimAll(t, b.q)
		if len(items) != 2 || items["+14155552671"].Events != 2 || items["+14155552671"].Action != queue.Add ||
			items["+12125550100"].Action != queue.Remove {
			t.Fatalf("store holds %+v, want an add for +14155552671 with 2 events and a remove for +12125550100", items)
		}
	})

	t.Run("WebhookIDHeader", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		hdr := http.Header{"Webhook-Id": {"msg_2Lx"}}
		post(t, b.srv.URL, `{"phoneNumber":"4155552671"}`, hdr).
			want(t, http.StatusOK, `{"status":"accepted","phoneNumber":"+14155552671","eventId":"msg_2Lx"}`)
		post(t, b.srv.URL, `{"phoneNumber":"4155552671"}`, hdr).
			want(t, http.StatusOK, `{"status":"duplicate","phoneNumber":"+14155552671","eventId":"msg_2Lx"}`)
		// The body's own id comes first.
		post(t, b.srv.URL, `{"phoneNumber":"4155552671","eventId":"own"}`, hdr).
			want(t, http.StatusOK, `{"status":"accepted","phoneNumber":"+14155552671","eventId":"own"}`)
		items := claimAll(t, b.q)
		if len(items) != 1 || items["+14155552671"].Events != 2 {
			t.Fatalf("store holds %+v, want +14155552671 with 2 events", items)
		}
		// A rejected event carries the header id too, so staff can match it with the sender's log.
		post(t, b.srv.URL, `{"phoneNumber":"12"}`, http.Header{"Webhook-Id": {"msg_bad"}}).
			object(t, http.StatusUnprocessableEntity)
		if rejs := rejections(t, b.q); len(rejs) != 1 || rejs[0].EventID != "msg_bad" {
			t.Fatalf("rejections %+v, want one with EventID msg_bad", rejs)
		}
	})

	t.Run("LatestOccurredAtWins", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for _, body := range []string{
			`{"phoneNumber":"4155552671","action":"add","occurredAt":"2025-05-01T10:00:00Z"}`,
			`{"phoneNumber":"4155552671","action":"remove","occurredAt":"2025-05-02T10:00:00Z"}`,
			`{"phoneNumber":"4155552671","action":"add","occurredAt":"2025-05-01T23:00:00Z"}`, // older: loses
			`{"phoneNumber":"2125550100","action":"remove","occurredAt":"2025-05-03T10:00:00Z"}`,
			`{"phoneNumber":"2125550100","action":"add","occurredAt":"2025-05-03T10:00:00Z"}`, // tie: add wins
			`{"phoneNumber":"2125550100","action":"remove","occurredAt":"2025-05-03T10:00:00Z"}`,
		} {
			if res := post(t, b.srv.URL, body, nil); res.status != http.StatusOK {
				t.Fatalf("%s: %d %s", body, res.status, res.body)
			}
		}
		items := claimAll(t, b.q)
		if it := items["+14155552671"]; it.Action != queue.Remove || it.Events != 3 {
			t.Errorf("+14155552671: %s after %d events, want remove after 3", it.Action, it.Events)
		}
		if it := items["+12125550100"]; it.Action != queue.Add || it.Events != 3 {
			t.Errorf("+12125550100: %s after %d events, want add after 3", it.Action, it.Events)
		}
	})
}

func TestOptOutStoreUnavailable(t *testing.T) {
	t.Parallel()

	type testBundle struct {
		q   *boltq.Store
		srv *httptest.Server
	}

	// setup serves a handler whose store is wrap(the real store).
	setup := func(t *testing.T, wrap func(*boltq.Store) queue.Queue) *testBundle {
		t.Helper()
		q := openStore(t)
		h := intake.New(wrap(q), intake.Config{StoreTimeout: 200 * time.Millisecond})
		return &testBundle{q: q, srv: serve(t, h)}
	}
	failing := func(s *boltq.Store) queue.Queue { return failingStore{s} }

	for _, tc := range []struct {
		name string
		wrap func(*boltq.Store) queue.Queue
		body string
	}{
		{"enqueue fails", failing, `{"phoneNumber":"4155552671"}`},
		{"reject fails", failing, `{"phoneNumber":"12"}`},
		{"batch fails", failing, `[{"phoneNumber":"4155552671"},{"phoneNumber":"2125550100"}]`},
		{"store hangs", func(s *boltq.Store) queue.Queue { return hangingStore{s} }, `{"phoneNumber":"4155552671"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, tc.wrap)
			start := time.Now()
			post(t, b.srv.URL, tc.body, nil).wantUnavailable(t)
			if d := time.Since(start); d > 3*time.Second {
				t.Fatalf("answered after %v: the store timeout was not applied", d)
			}
			nothingStored(t, b.q)
		})
	}

	t.Run("closed bolt store", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(s *boltq.Store) queue.Queue { return s })
		if err := b.q.Close(); err != nil {
			t.Fatal(err)
		}
		for _, body := range []string{
			`{"phoneNumber":"4155552671"}`,
			`{"phoneNumber":"12"}`,
			`{"events":[{"phoneNumber":"4155552671"},{"phoneNumber":"12"}]}`,
		} {
			post(t, b.srv.URL, body, nil).wantUnavailable(t)
		}
	})
}

// TestOptOutConcurrent posts from many senders at once for overlapping numbers: every event is
// counted once and every number ends up in exactly one entry.
func TestOptOutConcurrent(t *testing.T) {
	t.Parallel()
	const senders, perSender, distinct = 50, 20, 97
	q := openStore(t)
	srv := serve(t, intake.New(q, intake.Config{}))

	var wg sync.WaitGroup
	errs := make(chan error, senders*perSender)
	for s := range senders {
		wg.Go(func() {
			for i := range perSender {
				n := (s*perSender + i) % distinct
				// Two spellings of each number: normalization must make them one entry.
				body := fmt.Sprintf(`{"phoneNumber":"(415) 555-%04d","eventId":"s%d-%d"}`, 3000+n, s, i)
				if i%2 == 1 {
					body = fmt.Sprintf(`{"data":{"phoneNumber":"+1 415 555 %04d"},"eventId":"s%d-%d"}`, 3000+n, s, i)
				}
				res, err := postErr(srv.URL, body, nil)
				if err != nil {
					errs <- err
					continue
				}
				want := fmt.Sprintf(`{"status":"accepted","phoneNumber":"+1415555%04d","eventId":"s%d-%d"}`, 3000+n, s, i)
				if res.status != http.StatusOK || !jsonEqual(res.body, want) {
					errs <- fmt.Errorf("%s: %d %s, want %s", body, res.status, res.body, want)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	items := claimAll(t, q)
	if len(items) != distinct {
		t.Fatalf("store holds %d entries, want %d", len(items), distinct)
	}
	total := 0
	for n := range distinct {
		it, ok := items[fmt.Sprintf("+1415555%04d", 3000+n)]
		if !ok {
			t.Fatalf("number %d missing", n)
		}
		total += it.Events
	}
	if total != senders*perSender {
		t.Fatalf("entries count %d events, want %d", total, senders*perSender)
	}
}

// failingStore is the real store with writes failing as a full disk would make them.
type failingStore struct{ *boltq.Store }

var errDiskFull = fmt.Errorf("write: no space left on device: %w", queue.ErrUnavailable)

func (failingStore) Enqueue(context.Context, []queue.Event) ([]queue.EnqueueStatus, error) {
	return nil, errDiskFull
}
func (failingStore) Reject(context.Context, ...queue.Rejection) error { return errDiskFull }

// hangingStore is the real store with writes that never finish on their own.
type hangingStore struct{ *boltq.Store }

func (hangingStore) Enqueue(ctx context.Context, _ []queue.Event) ([]queue.EnqueueStatus, error) {
	<-ctx.Done()
	return nil, fmt.Errorf("%w: %w", queue.ErrUnavailable, ctx.Err())
}

// Shared helpers for the HTTP tests of this package.

func openStore(t testing.TB) *boltq.Store {
	t.Helper()
	q, err := boltq.Open(filepath.Join(t.TempDir(), "q.db"), boltq.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

// serve routes POST /webhook/opt-out to h as serve does.
func serve(t testing.TB, h *intake.Handler) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhook/opt-out", h.OptOut)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// post sends body to the opt-out endpoint with Content-Type application/json unless header sets
// one (an empty value: no Content-Type at all).
func post(t testing.TB, base, body string, header http.Header) response {
	t.Helper()
	res, err := postErr(base, body, header)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func postErr(base, body string, header http.Header) (response, error) {
	req, err := http.NewRequest(http.MethodPost, base+"/webhook/opt-out", strings.NewReader(body))
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, vs := range header {
		req.Header.Del(k)
		for _, v := range vs {
			if v != "" {
				req.Header.Add(k, v)
			}
		}
	}
	return doErr(req)
}

func do(t testing.TB, req *http.Request) response {
	t.Helper()
	res, err := doErr(req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func doErr(req *http.Request) (response, error) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, err
	}
	return response{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// want checks the status and that the body is the JSON document want.
func (r response) want(t testing.TB, status int, want string) {
	t.Helper()
	if r.status != status || !jsonEqual(r.body, want) {
		t.Fatalf("answer %d %s, want %d %s", r.status, bytes.TrimSpace(r.body), status, want)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q, want application/json", ct)
	}
}

// object checks the status and returns the body as a JSON object.
func (r response) object(t testing.TB, status int) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil || r.status != status {
		t.Fatalf("answer %d %s, want %d with a JSON object (%v)", r.status, bytes.TrimSpace(r.body), status, err)
	}
	return m
}

// wantUnavailable checks for a 503 that tells the sender to retry.
func (r response) wantUnavailable(t testing.TB) {
	t.Helper()
	got := r.object(t, http.StatusServiceUnavailable)
	if got["status"] != "error" || !nonEmpty(got["error"]) {
		t.Fatalf("503 body %s, want an error", r.body)
	}
	if ra := r.header.Get("Retry-After"); ra == "" || strings.Trim(ra, "0123456789") != "" {
		t.Fatalf("Retry-After %q, want seconds", ra)
	}
}

func jsonEqual(got []byte, want string) bool {
	var g, w any
	if json.Unmarshal(got, &g) != nil || json.Unmarshal([]byte(want), &w) != nil {
		return false
	}
	return reflect.DeepEqual(g, w)
}

func nonEmpty(v any) bool { s, ok := v.(string); return ok && s != "" }

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// claimAll leases every ready entry and returns them by number.
func claimAll(t testing.TB, q queue.Queue) map[string]queue.Item {
	t.Helper()
	items, err := q.Claim(context.Background(), 1000, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]queue.Item, len(items))
	for _, it := range items {
		if _, dup := out[it.Number]; dup {
			t.Fatalf("two entries for %s", it.Number)
		}
		out[it.Number] = it
	}
	return out
}

func rejections(t testing.TB, q queue.Queue) []queue.Rejection {
	t.Helper()
	rejs, err := q.Rejections(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	return rejs
}

func noRejections(t testing.TB, q queue.Queue) {
	t.Helper()
	if rejs := rejections(t, q); len(rejs) != 0 {
		t.Fatalf("rejections recorded: %+v", rejs)
	}
}

// nothingStored checks that neither an entry nor a rejection was written.
func nothingStored(t testing.TB, q queue.Queue) {
	t.Helper()
	if st, err := q.Stats(context.Background()); err != nil || st.Depth() != 0 || st.Dead != 0 {
		t.Fatalf("store stats %+v, %v: want empty", st, err)
	}
	noRejections(t, q)
}

// sameRejection compares a stored rejection with the one wanted, as the store keeps it (Bound).
func sameRejection(got, want queue.Rejection) bool {
	want = want.Bound()
	eq := got.ReceivedAt.Equal(want.ReceivedAt)
	got.ReceivedAt, want.ReceivedAt = time.Time{}, time.Time{}
	return eq && got == want
}

func keys(items map[string]queue.Item) []string {
	out := make([]string, 0, len(items))
	for k := range items {
		out = append(out, k)
	}
	return out
}

func wantAction(a queue.Action) func(*testing.T, queue.Item) {
	return func(t *testing.T, it queue.Item) {
		t.Helper()
		if it.Action != a {
			t.Errorf("Action = %q, want %q", it.Action, a)
		}
	}
}

func wantAudit(source, channel, reason, scope string) func(*testing.T, queue.Item) {
	return func(t *testing.T, it queue.Item) {
		t.Helper()
		if it.Source != source || it.Channel != channel || it.Reason != reason || it.Scope != scope {
			t.Errorf("source/channel/reason/scope = %q/%q/%q/%q, want %q/%q/%q/%q",
				it.Source, it.Channel, it.Reason, it.Scope, source, channel, reason, scope)
		}
	}
}

// padded is a valid event of exactly n bytes.
func padded(n int) string {
	const head, tail = `{"phoneNumber":"4155552671","reason":"`, `"}`
	return head + strings.Repeat("x", n-len(head)-len(tail)) + tail
}

// One sender must not be able to fill the store: what a rejection keeps is bounded, and counted.
func TestRejectionsBounded(t *testing.T) {
	t.Parallel()
	q := openStore(t)
	m := intake.NewMetrics(nil)
	h := intake.New(q, intake.Config{Now: func() time.Time { return receivedAt }, Metrics: m, StoreTimeout: time.Minute})
	srv := serve(t, h)
	var sb strings.Builder
	long := strings.Repeat("9", 1000)
	for i := range 900 {
		fmt.Fprintf(&sb, `,{"phoneNumber":"%d%s","reason":%q}`, i, long, strings.Repeat("r", 100))
	}
	res := post(t, srv.URL, "["+sb.String()[1:]+"]", nil)
	if res.status != http.StatusOK || len(res.body) < 1000 {
		t.Fatalf("answer %d %.200s", res.status, res.body)
	}
	rejs, err := q.Rejections(context.Background(), 1000)
	if err != nil || len(rejs) != 900 {
		t.Fatalf("%d rejections (%v), want 900", len(rejs), err)
	}
	for _, r := range rejs {
		if len(r.Raw) > queue.MaxRawLen || len(r.Body) > queue.MaxBodyLen || len(r.Key) > 64 {
			t.Fatalf("a rejection keeps %d raw bytes, %d of body, a key of %d", len(r.Raw), len(r.Body), len(r.Key))
		}
	}
	got := testutil.ToFloat64(m.RejectedBytes)
	if got < 900*256 || got > 900*(queue.MaxRawLen+queue.MaxBodyLen+200) {
		t.Fatalf("dncsync_rejected_bytes_total = %v for 900 bounded rejections", got)
	}
	// Accepted events keep bounded free text too.
	res = post(t, srv.URL, fmt.Sprintf(`{"phoneNumber":"4155552671","reason":%q,"source":%q,"eventId":%q}`,
		strings.Repeat("x", 100_000), strings.Repeat("s", 1000), strings.Repeat("e", 1000)), nil)
	if res.status != http.StatusOK {
		t.Fatalf("answer %d %s", res.status, res.body)
	}
	it := claimAll(t, q)["+14155552671"]
	if len(it.Reason) > queue.MaxSaidLen || len(it.Source) > queue.MaxLabelLen {
		t.Fatalf("stored a reason of %d bytes, a source of %d", len(it.Reason), len(it.Source))
	}
}
