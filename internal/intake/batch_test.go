package intake_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/intake"
	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/boltq"
)

func TestOptOutBatch(t *testing.T) {
	t.Parallel()

	type testBundle struct {
		q   *boltq.Store
		srv *httptest.Server
	}

	setup := func(t *testing.T) *testBundle {
		t.Helper()
		q := openStore(t)
		// The store timeout also covers normalizing every number of the batch (see the report on
		// optout.go), which for 1000 numbers under -race on a busy machine can take seconds.
		h := intake.New(q, intake.Config{Now: func() time.Time { return receivedAt }, StoreTimeout: time.Minute})
		return &testBundle{q: q, srv: serve(t, h)}
	}

	// The events of a mixed batch and the answer for each, in order.
	mixed := []string{
		`{"eventType":"contact.opt_out","data":{"phoneNumber":"(415) 555-2671"}}`,
		`{"phoneNumber":"12","eventId":"b-2","source":"ivr"}`,
		`42`,
		`{"phoneNumber":"2125550100","action":"remove","eventId":"b-4"}`,
		`{"action":"add"}`,
		`"junk"`,
		`{"events":[{"phoneNumber":"3125550100"}]}`,
		`{"phoneNumber":"+1 415 555 2671","source":"sms"}`,
		`{"phoneNumber":"4155552671","action":"block"}`,
	}
	mixedResults := `[
		{"status":"accepted","phoneNumber":"+14155552671"},
		{"status":"rejected","code":422,"reason":"too_short","eventId":"b-2"},
		{"status":"invalid","code":400,"reason":"invalid_event"},
		{"status":"accepted","phoneNumber":"+12125550100","eventId":"b-4"},
		{"status":"invalid","code":400,"reason":"no_phone_number"},
		{"status":"invalid","code":400,"reason":"invalid_event"},
		{"status":"invalid","code":400,"reason":"no_phone_number"},
		{"status":"accepted","phoneNumber":"+14155552671"},
		{"status":"invalid","code":400,"reason":"bad_action"}
	]`

	for name, body := range map[string]string{
		"array":  "[" + strings.Join(mixed, ",") + "]",
		"events": `{"events":[` + strings.Join(mixed, ",\n") + `]}`,
	} {
		t.Run("Mixed/"+name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			wantResults(t, post(t, b.srv.URL, body, nil), mixedResults)

			items := claimAll(t, b.q)
			if len(items) != 2 {
				t.Fatalf("store holds %v, want +14155552671 and +12125550100", keys(items))
			}
			if it := items["+14155552671"]; it.Action != queue.Add || it.Events != 2 || it.Source != "" {
				// Same action, same occurredAt: the repeat only counts, the first event's fields stay.
				t.Errorf("+14155552671: %+v, want an add of 2 events with the first event's fields", it)
			}
			if it := items["+12125550100"]; it.Action != queue.Remove || it.Events != 1 {
				t.Errorf("+12125550100: %+v, want a remove of 1 event", it)
			}
			// Every refused event is kept, newest first; the bad action of a valid number in its trail.
			rejs := rejections(t, b.q)
			want := queue.Rejection{Raw: "12", Body: mixed[1], Reason: "too_short", Region: "US", Source: "ivr",
				EventID: "b-2", ReceivedAt: receivedAt}
			if len(rejs) != 6 || !sameRejection(rejs[5], want) {
				t.Fatalf("rejections %+v, want 6, the oldest %+v", rejs, want)
			}
			if r := rejs[0]; r.Reason != "bad_action" || r.Number != "+14155552671" || r.Body != mixed[8] {
				t.Fatalf("newest rejection %+v, want the bad action of +14155552671", r)
			}
		})
	}

	t.Run("Empty", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for _, body := range []string{`[]`, `{"events":[]}`} {
			post(t, b.srv.URL, body, nil).want(t, http.StatusOK, `{"results":[]}`)
		}
		nothingStored(t, b.q)
	})

	t.Run("MaxBatch", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		body := batchOf(intake.MaxBatch + 1)
		if len(body) > intake.MaxBody {
			t.Fatalf("test body is %d bytes: it would test the size limit, not the count", len(body))
		}
		res := post(t, b.srv.URL, body, nil)
		if got := res.object(t, http.StatusRequestEntityTooLarge); got["status"] != "error" || !nonEmpty(got["error"]) {
			t.Fatalf("answer %s, want an error", res.body)
		}
		res = post(t, b.srv.URL, `{"events":`+body+`}`, nil)
		res.object(t, http.StatusRequestEntityTooLarge)
		nothingStored(t, b.q)

		// The limit itself is allowed.
		res = post(t, b.srv.URL, batchOf(intake.MaxBatch), nil)
		var got struct{ Results []map[string]any }
		if err := json.Unmarshal(res.body, &got); err != nil || res.status != http.StatusOK {
			t.Fatalf("answer %d %.200s (%v), want 200", res.status, res.body, err)
		}
		if len(got.Results) != intake.MaxBatch {
			t.Fatalf("%d results, want %d", len(got.Results), intake.MaxBatch)
		}
		for i, r := range got.Results {
			if want := fmt.Sprintf("+1212555%04d", i); r["status"] != "accepted" || r["phoneNumber"] != want {
				t.Fatalf("result %d = %v, want accepted %s", i, r, want)
			}
		}
		if n := len(claimAll(t, b.q)); n != intake.MaxBatch {
			t.Fatalf("store holds %d entries, want %d", n, intake.MaxBatch)
		}
	})

	t.Run("DuplicatesMerge", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		wantResults(t, post(t, b.srv.URL, `[
			{"phoneNumber":"(415) 555-2671"},
			{"data":{"contact":{"phoneNumber":"+1 415 555 2671"}},"eventType":"contact.do_not_call.add"}
		]`, nil), `[
			{"status":"accepted","phoneNumber":"+14155552671"},
			{"status":"accepted","phoneNumber":"+14155552671"}
		]`)
		items := claimAll(t, b.q)
		if it := items["+14155552671"]; len(items) != 1 || it.Events != 2 || it.Action != queue.Add {
			t.Fatalf("store holds %+v, want one add of 2 events", items)
		}
	})

	t.Run("RepeatedEventID", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		wantResults(t, post(t, b.srv.URL, `[
			{"phoneNumber":"4155552671","eventId":"x"},
			{"phoneNumber":"4155552671","eventId":"x"},
			{"phoneNumber":"2125550100","eventId":"x"}
		]`, nil), `[
			{"status":"accepted","phoneNumber":"+14155552671","eventId":"x"},
			{"status":"duplicate","phoneNumber":"+14155552671","eventId":"x"},
			{"status":"accepted","phoneNumber":"+12125550100","eventId":"x"}
		]`)
		items := claimAll(t, b.q)
		if it := items["+14155552671"]; len(items) != 2 || it.Events != 1 {
			t.Fatalf("store holds %+v, want +14155552671 with 1 event and +12125550100", items)
		}
	})

	t.Run("WebhookIDHeader", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		body := `[{"phoneNumber":"4155552671"},{"phoneNumber":"2125550100","eventId":"own"},{"phoneNumber":"12"}]`
		hdr := http.Header{"Webhook-Id": {"msg_b"}}
		wantResults(t, post(t, b.srv.URL, body, hdr), `[
			{"status":"accepted","phoneNumber":"+14155552671","eventId":"msg_b#0"},
			{"status":"accepted","phoneNumber":"+12125550100","eventId":"own"},
			{"status":"rejected","code":422,"reason":"too_short","eventId":"msg_b#2"}
		]`)
		// The sender retries the same delivery: nothing changes.
		wantResults(t, post(t, b.srv.URL, body, hdr), `[
			{"status":"duplicate","phoneNumber":"+14155552671","eventId":"msg_b#0"},
			{"status":"duplicate","phoneNumber":"+12125550100","eventId":"own"},
			{"status":"rejected","code":422,"reason":"too_short","eventId":"msg_b#2"}
		]`)
		items := claimAll(t, b.q)
		if len(items) != 2 || items["+14155552671"].Events != 1 || items["+12125550100"].Events != 1 {
			t.Fatalf("store holds %+v, want two entries of 1 event each", items)
		}
		if rejs := rejections(t, b.q); len(rejs) == 0 || rejs[0].EventID != "msg_b#2" {
			t.Fatalf("rejections %+v, want EventID msg_b#2", rejs)
		}
	})

	// Every rejected event is a store write. On a disk where a commit takes 10ms, a full batch of
	// rejected numbers must still be answered inside the default store timeout: a 503 here would
	// make the sender retry the batch forever, recording its rejections again each time.
	t.Run("ManyRejectionsOnASlowDisk", func(t *testing.T) {
		t.Parallel()
		q := openStore(t)
		srv := serve(t, intake.New(slowRejects{q}, intake.Config{}))
		var sb strings.Builder
		for i := range intake.MaxBatch {
			fmt.Fprintf(&sb, `,{"phoneNumber":"12","eventId":"r%d"}`, i)
		}
		res := post(t, srv.URL, "["+sb.String()[1:]+"]", nil)
		var got struct{ Results []map[string]any }
		if err := json.Unmarshal(res.body, &got); err != nil || res.status != http.StatusOK || len(got.Results) != intake.MaxBatch {
			t.Fatalf("answer %d %.300s, want 200 with %d results", res.status, res.body, intake.MaxBatch)
		}
		for i, r := range got.Results {
			if r["status"] != "rejected" || r["eventId"] != fmt.Sprintf("r%d", i) {
				t.Fatalf("result %d = %v, want rejected r%d", i, r, i)
			}
		}
		rejs, err := q.Rejections(context.Background(), 2*intake.MaxBatch)
		if err != nil || len(rejs) != intake.MaxBatch {
			t.Fatalf("%d rejections stored (%v), want %d", len(rejs), err, intake.MaxBatch)
		}
	})

	t.Run("ZeroOccurredAtDoesNotPoisonTheBatch", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		wantResults(t, post(t, b.srv.URL, `[
			{"phoneNumber":"4155552671"},
			{"phoneNumber":"2125550100","occurredAt":"0001-01-01T00:00:00Z"}
		]`, nil), `[
			{"status":"accepted","phoneNumber":"+14155552671"},
			{"status":"invalid","code":400,"reason":"bad_occurred_at"}
		]`)
		if items := claimAll(t, b.q); len(items) != 1 {
			t.Fatalf("store holds %v, want +14155552671", keys(items))
		}
	})
}

// slowRejects is the real store on a disk whose commits take 10ms.
type slowRejects struct{ *boltq.Store }

func (s slowRejects) Reject(ctx context.Context, r ...queue.Rejection) error {
	select {
	case <-time.After(10 * time.Millisecond):
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", queue.ErrUnavailable, ctx.Err())
	}
	return s.Store.Reject(ctx, r...)
}

// wantResults checks a 200 batch answer against want, a JSON array of results without their
// human-readable errors: those must be present exactly on the results that failed.
func wantResults(t *testing.T, res response, want string) {
	t.Helper()
	var got struct {
		Results []map[string]any `json:"results"`
	}
	if err := json.Unmarshal(res.body, &got); err != nil || res.status != http.StatusOK {
		t.Fatalf("answer %d %s (%v), want 200 with results", res.status, res.body, err)
	}
	for i, r := range got.Results {
		failed := r["status"] == "rejected" || r["status"] == "invalid"
		if _, has := r["error"]; has != failed || (failed && !nonEmpty(r["error"])) {
			t.Fatalf("result %d %v: an error must be given exactly on failure", i, r)
		}
		delete(r, "error")
	}
	var w []map[string]any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Results, w) {
		g, _ := json.Marshal(got.Results)
		ww, _ := json.Marshal(w)
		t.Fatalf("results\n got %s\nwant %s", g, ww)
	}
}

// batchOf is a JSON array of n events for distinct numbers.
func batchOf(n int) string {
	var sb strings.Builder
	sb.WriteByte('[')
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"phoneNumber":"(212) 555-%04d"}`, i)
	}
	sb.WriteByte(']')
	return sb.String()
}
