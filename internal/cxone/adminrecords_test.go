package cxone

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAdminAddMapsResultsByNumber(t *testing.T) {
	f := newAdminFake(t)
	var mu sync.Mutex
	var sent []sentRecord
	f.setAPI(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != recordsPath {
			t.Errorf("%s %s", r.Method, r.URL.Path)
		}
		recs := decodeRecords(t, r)
		mu.Lock()
		sent = recs
		mu.Unlock()
		// Out of order; one number missing; one the client never sent.
		writeJSON(w, 200, `{"resultSet":{"errorCount":2,"recordResults":[
			{"success":false,"phoneNumber":"442079460958","formattedPhone":"+44 20 7946 0958","error":"Internal error while saving"},
			{"success":true,"phoneNumber":"9995550000","formattedPhone":"","error":""},
			{"success":false,"phoneNumber":"4155550100","formattedPhone":"(415) 555-0100","error":"Invalid phone number (415) 555-0100"},
			{"success":true,"phoneNumber":"4155552671","formattedPhone":"(415) 555-2671","error":""}]}}`)
	})
	a, _ := newTestAdmin(f, nil)
	contacts := []Contact{
		{Number: "+14155552671"},
		{Number: "+14155550100"},
		{Number: "+442079460958"},
		{Number: "+14155559999"}, // no result
		{Number: "+14155552671"}, // same number again: same result
		{Number: "4155552671"},   // not E.164: never sent
	}
	errs := a.Add(context.Background(), contacts)
	want := []string{"ok", "refused", "transient", "transient", "ok", "permanent"}
	if got := kinds(errs); !sameStrings(got, want) {
		t.Fatalf("results %v, want %v (%v)", got, want, errs)
	}
	if e := asError(t, errs[1]); !strings.Contains(e.Msg, "Invalid phone number") || e.Op != "add" {
		t.Errorf("invalid number error %q lost the API's text", e.Msg)
	}
	assertLogSafe(t, errs...)
	mu.Lock()
	defer mu.Unlock()
	var numbers []string
	for _, r := range sent {
		numbers = append(numbers, r.PhoneNumber)
		if r.ExpiredDate != "" {
			t.Errorf("expiredDate %q sent without an expiry configured", r.ExpiredDate)
		}
		if !r.Number {
			t.Errorf("phoneNumber %s sent as a string; the spec types it as a number in POST", r.PhoneNumber)
		}
	}
	if want := []string{"4155552671", "4155550100", "442079460958", "4155559999"}; !sameStrings(numbers, want) {
		t.Errorf("sent %v, want %v (digits, deduplicated)", numbers, want)
	}
}

func TestAdminAddExpiry(t *testing.T) {
	f := newAdminFake(t)
	var mu sync.Mutex
	got := map[string]string{}
	f.setAPI(func(w http.ResponseWriter, r *http.Request) {
		var results []string
		mu.Lock()
		for _, rec := range decodeRecords(t, r) {
			got[rec.PhoneNumber] = rec.ExpiredDate
			results = append(results, `{"success":true}`)
		}
		mu.Unlock()
		writeJSON(w, 200, `{"resultSet":{"errorCount":0,"recordResults":[`+strings.Join(results, ",")+`]}}`)
	})
	now := time.Date(2026, 3, 1, 12, 30, 15, 500, time.UTC)
	a, _ := newTestAdmin(f, func(c *AdminConfig) { c.ExpiresAfter = 5 * 365 * 24 * time.Hour })
	a.now = func() time.Time { return now }
	own := time.Date(2031, 1, 1, 0, 0, 0, 0, time.FixedZone("CET", 3600))
	contacts := []Contact{
		{Number: "+14155552671", ExpiresAt: own},
		{Number: "+14155550100"},
		{Number: "+442079460958", ExpiresAt: now.Add(24 * time.Hour)},
		{Number: "+442079460958", ExpiresAt: now.Add(48 * time.Hour)}, // the later end wins
		{Number: "+14155550101", ExpiresAt: time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)},
	}
	errs := a.Add(context.Background(), contacts)
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// Add reports the expiry sent: what the date guarantees in every time zone, the asked expiry
	// rounded up to midnight UTC. Sent again (a resync), it sends the same date.
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	reported := []time.Time{day(2031, 1, 1), day(2031, 3, 1), day(2026, 3, 4), day(2026, 3, 4), day(2027, 6, 1)}
	mu.Lock()
	defer mu.Unlock()
	for i, c := range contacts {
		if !c.ExpiresAt.Equal(reported[i]) {
			t.Errorf("contact %d: reported expiry %v, want %v", i, c.ExpiresAt, reported[i])
		}
		if again, _ := wireExpiredDate(c.ExpiresAt); again != got[c.Number[2:]] && again != got[c.Number[1:]] {
			t.Errorf("contact %d: a resync of %v would send %s, not %s", i, c.ExpiresAt, again, got[c.Number[2:]])
		}
	}
	// MM/DD/YYYY, the day after the UTC day the expiry falls in: never earlier than asked in any
	// time zone CXone may read the date in.
	want := map[string]string{
		"4155552671":   "01/02/2031", // 2030-12-31T23:00Z
		"4155550100":   "03/02/2031", // now + 5*365 days = 2031-02-28T12:30:15Z
		"442079460958": "03/05/2026", // 2026-03-03T12:30:15Z
		"4155550101":   "06/02/2027", // exactly midnight UTC
	}
	for n, w := range want {
		if got[n] != w {
			t.Errorf("expiredDate for %s = %q, want %q", n, got[n], w)
		}
	}
}

func TestAdminRemove(t *testing.T) {
	for _, tc := range []struct{ name, wrap string }{{"bare", "%s"}, {"resultSet", `{"resultSet":%s}`}} {
		t.Run(tc.name, func(t *testing.T) {
			// Both shapes are read for both operations: the spec wraps the POST answer only.
			f := newAdminFake(t)
			f.setAPI(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodDelete || r.URL.Path != recordsPath {
					t.Errorf("%s %s", r.Method, r.URL.Path)
				}
				for _, rec := range decodeRecords(t, r) {
					if rec.ExpiredDate != "" {
						t.Errorf("remove sent expiredDate %q", rec.ExpiredDate)
					}
					if rec.Number {
						t.Errorf("phoneNumber %s sent as a number; the spec types it as a string in DELETE", rec.PhoneNumber)
					}
				}
				writeJSON(w, 200, fmt.Sprintf(tc.wrap, `{"errorCount":3,"recordResults":[
					{"success":true,"formattedPhone":"(415) 555-2671","error":""},
					{"success":false,"phoneNumber":"4155550100","error":"Record Not Found"},
					{"success":false,"phoneNumber":"4155550101","error":"Invalid Phone Number"},
					{"success":false,"phoneNumber":"4155550102","error":"Timeout"}]}`))
			})
			a, _ := newTestAdmin(f, func(c *AdminConfig) { c.ExpiresAfter = time.Hour })
			errs := a.Remove(context.Background(), []Contact{{Number: "+14155552671"}, {Number: "+14155550100"},
				{Number: "+14155550101"}, {Number: "+14155550102"}, {Number: "+14155550103"}})
			want := []string{"ok", "ok", "refused", "transient", "transient"}
			if got := kinds(errs); !sameStrings(got, want) {
				t.Fatalf("results %v, want %v (%v)", got, want, errs)
			}
			assertLogSafe(t, errs...)
		})
	}
}

// Results that name no number match by position when there is one per record; otherwise none can
// be matched, and an unmatched record is never a success.
func TestAdminResultsWithoutNumbers(t *testing.T) {
	for _, tc := range []struct {
		name, results string
		want          []string
	}{
		{"all succeeded", `{"success":true},{"success":true}`, []string{"ok", "ok"}},
		{"mixed", `{"success":true},{"success":false,"error":"Invalid phone number"}`, []string{"ok", "refused"}},
		{"fewer", `{"success":true}`, []string{"transient", "transient"}},
		{"more", `{"success":true},{"success":true},{"success":true}`, []string{"transient", "transient"}},
		{"none", ``, []string{"transient", "transient"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newAdminFake(t)
			f.setAPI(func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 200, `{"resultSet":{"errorCount":0,"recordResults":[`+tc.results+`]}}`)
			})
			a, _ := newTestAdmin(f, nil)
			errs := a.Add(context.Background(), []Contact{{Number: "+14155552671"}, {Number: "+14155550100"}})
			if got := kinds(errs); !sameStrings(got, tc.want) {
				t.Fatalf("results %v, want %v (%v)", got, tc.want, errs)
			}
		})
	}
}

func TestAdminResultNumberForms(t *testing.T) {
	f := newAdminFake(t)
	f.setAPI(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"resultSet":{"errorCount":1,"recordResults":[
			{"success":true,"phoneNumber":4155552671},
			{"success":false,"phoneNumber":"","formattedPhone":"+1 (415) 555-0100","error":"invalid"},
			{"success":true,"phoneNumber":"+44 20 7946 0958"}]}}`)
	})
	a, _ := newTestAdmin(f, nil)
	errs := a.Add(context.Background(), []Contact{{Number: "+14155552671"}, {Number: "+14155550100"},
		{Number: "+442079460958"}})
	if got, want := kinds(errs), []string{"ok", "refused", "ok"}; !sameStrings(got, want) {
		t.Fatalf("results %v, want %v (%v)", got, want, errs)
	}
}

// Results in request order match by position; results that name other records' numbers (out of
// order) match by the digits they name, whatever the formatting.
func TestAdminResultsMatchedByPositionOrDigits(t *testing.T) {
	for _, tc := range []struct {
		name, results string
		want          []string
	}{
		{"in order, formatted", `{"success":true,"formattedPhone":"1 (415) 555-2671"},{"success":false,"formattedPhone":"+1 415.555.0100","error":"Invalid phone number"},{"success":true}`,
			[]string{"ok", "refused", "ok"}},
		{"swapped", `{"success":false,"formattedPhone":"(415) 555-0100","error":"Invalid phone number"},{"success":true,"formattedPhone":"+1-415-555-2671"},{"success":true,"formattedPhone":"+44 20 7946 0958"}`,
			[]string{"ok", "refused", "ok"}},
		{"swapped, one without a number", `{"success":true,"phoneNumber":"4155550100"},{"success":true},{"success":true,"phoneNumber":"442079460958"}`,
			[]string{"transient", "ok", "ok"}},
		{"a number not sent", `{"success":true,"phoneNumber":"4155552671"},{"success":true,"phoneNumber":"9995550000"},{"success":true,"phoneNumber":"442079460958"}`,
			[]string{"ok", "transient", "ok"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newAdminFake(t)
			f.setAPI(func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 200, `{"resultSet":{"recordResults":[`+tc.results+`]}}`)
			})
			a, _ := newTestAdmin(f, nil)
			errs := a.Add(context.Background(), []Contact{{Number: "+14155552671"}, {Number: "+14155550100"},
				{Number: "+442079460958"}})
			if got := kinds(errs); !sameStrings(got, tc.want) {
				t.Fatalf("results %v, want %v (%v)", got, tc.want, errs)
			}
		})
	}
}

// CXONE_PHONE_JSON: the spec's types by default (a number in POST, a string in DELETE), or one
// type for both.
func TestAdminPhoneJSON(t *testing.T) {
	for _, tc := range []struct {
		mode             string
		addNum, rmNumber bool
	}{{"", true, false}, {PhoneJSONSpec, true, false}, {PhoneJSONNumber, true, true}, {PhoneJSONString, false, false}} {
		t.Run("mode "+tc.mode, func(t *testing.T) {
			f := newAdminFake(t)
			var mu sync.Mutex
			asNumber := map[string]bool{}
			f.setAPI(func(w http.ResponseWriter, r *http.Request) {
				for _, rec := range decodeRecords(t, r) {
					mu.Lock()
					asNumber[r.Method] = rec.Number
					mu.Unlock()
					if rec.PhoneNumber != "442079460958" {
						t.Errorf("phoneNumber %q", rec.PhoneNumber)
					}
				}
				writeJSON(w, 200, `{"errorCount":0,"recordResults":[{"success":true}]}`)
			})
			a, _ := newTestAdmin(f, func(c *AdminConfig) { c.PhoneJSON = tc.mode })
			in := []Contact{{Number: "+442079460958"}}
			if errs := a.Add(context.Background(), in); errs[0] != nil {
				t.Fatal(errs[0])
			}
			if errs := a.Remove(context.Background(), in); errs[0] != nil {
				t.Fatal(errs[0])
			}
			mu.Lock()
			defer mu.Unlock()
			if asNumber[http.MethodPost] != tc.addNum || asNumber[http.MethodDelete] != tc.rmNumber {
				t.Errorf("number in POST %v, DELETE %v; want %v, %v", asNumber[http.MethodPost],
					asNumber[http.MethodDelete], tc.addNum, tc.rmNumber)
			}
		})
	}
}

// A refused expiredDate is the request's format, not the number: Config, so nothing is
// dead-lettered for it.
func TestAdminRefusedDateIsConfig(t *testing.T) {
	f := newAdminFake(t)
	f.setAPI(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"resultSet":{"errorCount":1,"recordResults":[{"success":false,"error":"Invalid expiredDate"},{"success":true}]}}`)
	})
	a, _ := newTestAdmin(f, nil)
	errs := a.Add(context.Background(), []Contact{{Number: "+14155552671", ExpiresAt: time.Now().Add(time.Hour)},
		{Number: "+14155550100"}})
	if got := kinds(errs); !sameStrings(got, []string{"config", "ok"}) || !IsRecord(errs[0]) {
		t.Fatalf("results %v (%v)", got, errs)
	}
}

// CXone often gives its reason only in the icStatusDescription header, with an empty body.
func TestAdminErrorsCarryStatusDescription(t *testing.T) {
	f := newAdminFake(t)
	f.setAPI(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("icStatusDescription", "Invalid groupId 4155552671")
		w.WriteHeader(http.StatusBadRequest)
	})
	a, _ := newTestAdmin(f, nil)
	errs := a.Add(context.Background(), []Contact{{Number: "+14155552671"}})
	e := asError(t, errs[0])
	if e.Status != 400 || !strings.Contains(e.Msg, "CXone: Invalid groupId ##########") {
		t.Fatalf("got %v, want the header's reason, redacted", errs[0])
	}
	assertLogSafe(t, errs...)
}

func TestAdminUnexpectedAnswers(t *testing.T) {
	for _, tc := range []struct {
		name, op string
		status   int
		body     string
	}{
		{"html 200", "add", 200, "<html><body>Welcome to CXone 4155552671</body></html>"},
		{"empty 200", "add", 200, ""},
		{"html 502", "add", 502, "<html><body><h1>502 Bad Gateway</h1></body></html>"},
		{"empty resultSet", "add", 200, `{"resultSet":{}}`},
		{"result without success", "add", 200, `{"resultSet":{"recordResults":[{"phoneNumber":"4155552671"}]}}`},
		{"results not a list", "add", 200, `{"resultSet":{"recordResults":{"phoneNumber":"4155552671"}}}`},
		{"success not a bool", "add", 200, `{"resultSet":{"recordResults":[{"success":"yes","formattedPhone":"(415) 555-2671"}]}}`},
		{"a different API", "add", 200, `{"count":1}`},
		{"remove empty object", "remove", 200, `{}`},
		{"remove 204", "remove", 204, ``},
		{"500", "remove", 500, `{"error":"boom"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newAdminFake(t)
			f.setAPI(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(tc.status)
				fmt.Fprint(w, tc.body)
			})
			a, _ := newTestAdmin(f, nil)
			in := []Contact{{Number: "+14155552671"}, {Number: "+14155550100"}}
			var errs []error
			if tc.op == "add" {
				errs = a.Add(context.Background(), in)
			} else {
				errs = a.Remove(context.Background(), in)
			}
			for _, err := range errs {
				e := asError(t, err)
				if e.Kind != Transient || e.Status != tc.status || !strings.Contains(e.Msg, "unexpected answer") {
					t.Errorf("got %v, want a transient unexpected answer", err)
				}
			}
			assertLogSafe(t, errs...)
		})
	}
}

func TestAdminStatusErrors(t *testing.T) {
	for _, tc := range []struct {
		status int
		want   Kind
	}{{404, Config}, {403, Config}, {409, Refused}, {503, Transient}} { // a refusal that names no cause: the pusher decides
		f := newAdminFake(t)
		f.setAPI(func(w http.ResponseWriter, r *http.Request) { writeJSON(w, tc.status, `{"error":"x"}`) })
		a, _ := newTestAdmin(f, nil)
		errs := a.Add(context.Background(), []Contact{{Number: "+14155552671"}, {Number: "+14155550100"}})
		for _, err := range errs {
			if e := asError(t, err); e.Kind != tc.want || e.Status != tc.status {
				t.Errorf("HTTP %d: %v, want %v", tc.status, err, tc.want)
			}
		}
	}
}

func TestAdminAddSplitsABatchCXoneRefuses(t *testing.T) {
	f := newAdminFake(t)
	var mu sync.Mutex
	requests := 0
	f.setAPI(func(w http.ResponseWriter, r *http.Request) {
		recs := decodeRecords(t, r)
		mu.Lock()
		requests++
		mu.Unlock()
		var results []string
		for _, rec := range recs {
			if rec.PhoneNumber == "4155550102" {
				writeJSON(w, 400, `{"error":"Bad request"}`)
				return
			}
			results = append(results, fmt.Sprintf(`{"success":true,"phoneNumber":%q}`, rec.PhoneNumber))
		}
		writeJSON(w, 200, `{"resultSet":{"errorCount":0,"recordResults":[`+strings.Join(results, ",")+`]}}`)
	})
	a, _ := newTestAdmin(f, nil)
	var in []Contact
	for i := range 5 {
		in = append(in, Contact{Number: fmt.Sprintf("+1415555010%d", i)})
	}
	errs := a.Add(context.Background(), in)
	if got, want := kinds(errs), []string{"ok", "ok", "refused", "ok", "ok"}; !sameStrings(got, want) {
		t.Fatalf("results %v, want %v (%v)", got, want, errs)
	}
	mu.Lock()
	defer mu.Unlock()
	if requests > 7 {
		t.Errorf("%d requests to isolate one number among five", requests)
	}
}

func TestAdmin429UsesThePacersBackoff(t *testing.T) {
	f := newAdminFake(t)
	var mu sync.Mutex
	limited := true
	f.setAPI(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		l := limited
		limited = false
		mu.Unlock()
		if l {
			writeJSON(w, 429, `{"error":"Too many requests"}`) // no Retry-After, like the real API
			return
		}
		writeJSON(w, 200, `{"resultSet":{"errorCount":0,"recordResults":[{"success":true,"phoneNumber":"4155552671"},{"success":true,"phoneNumber":"4155550100"}]}}`)
	})
	a, p := newTestAdmin(f, nil)
	in := []Contact{{Number: "+14155552671"}, {Number: "+14155550100"}}
	errs := a.Add(context.Background(), in)
	for _, err := range errs {
		e := asError(t, err)
		if e.Kind != RateLimited || e.RetryAfter != p.pause {
			t.Fatalf("429: %v, want rate limited with the pacer's pause %v", err, p.pause)
		}
	}
	waits, oks, throttled := p.counts()
	if len(throttled) != 1 || throttled[0] != 0 || oks != 0 || waits != 1 {
		t.Fatalf("pacer told throttled=%v oks=%d after %d waits; want Throttled(0) once, no OK", throttled, oks, waits)
	}
	if errs := a.Add(context.Background(), in); errs[0] != nil || errs[1] != nil {
		t.Fatal(errs)
	}
	if waits, oks, _ := p.counts(); oks != 1 || waits != 2 {
		t.Errorf("after a success: %d OKs, %d waits; want 1 and 2", oks, waits)
	}
}

func TestAdminMissingGroupIsConfig(t *testing.T) {
	f := newAdminFake(t)
	a, p := newTestAdmin(f, func(c *AdminConfig) { c.GroupID = "" })
	for _, err := range a.Remove(context.Background(), []Contact{{Number: "+14155552671"}}) {
		if e := asError(t, err); e.Kind != Config || !strings.Contains(e.Msg, "CXONE_DNC_GROUP_ID") {
			t.Fatalf("no group: %v", err)
		}
	}
	if w, _, _ := p.counts(); w != 0 {
		t.Errorf("%d requests without a group", w)
	}
}

func TestNumberKeyAndE164(t *testing.T) {
	for _, tc := range []struct{ in, key, e164 string }{
		{"4155552671", "4155552671", "+14155552671"},
		{"14155552671", "4155552671", "+14155552671"},
		{"+1 (415) 555-2671", "4155552671", "+14155552671"},
		{"442079460958", "442079460958", "+442079460958"},
		{"", "", ""},
	} {
		if k := numberKey(tc.in); k != tc.key {
			t.Errorf("numberKey(%q) = %q, want %q", tc.in, k, tc.key)
		}
		if e := digitsToE164(tc.in); e != tc.e164 {
			t.Errorf("digitsToE164(%q) = %q, want %q", tc.in, e, tc.e164)
		}
	}
	var f flexString
	if err := json.Unmarshal([]byte(`4155552671`), &f); err != nil || f != "4155552671" {
		t.Errorf("number: %q, %v", f, err)
	}
	if err := json.Unmarshal([]byte(`true`), &f); err == nil {
		t.Error("a bool read as a number")
	}
}

func TestAdminDigitsRefusesAmbiguousNumbers(t *testing.T) {
	for in, want := range map[string]string{
		"+14155552671":     "4155552671",
		"+442079460958":    "442079460958",
		"+4930123456":      "", // 10 digits: CXone would read +14930123456
		"+1415555267":      "", // 9 national digits: would read as +11415555267
		"+141555526710":    "",
		"4155552671":       "",
		"+":                "",
		"+12025550123x1":   "",
		"+861012345678901": "861012345678901",
	} {
		d, err := adminDigits("add", in)
		if d != want || (err == nil) != (want != "") {
			t.Errorf("adminDigits(%q) = %q, %v; want %q", in, d, err, want)
		}
		if err != nil && KindOf(err) != Permanent {
			t.Errorf("adminDigits(%q): %v, want permanent", in, err)
		}
		assertLogSafe(t, err)
	}
}
