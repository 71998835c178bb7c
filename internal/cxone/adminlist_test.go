package cxone

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// listFake serves n records, the i-th "415555" + 4 digits (every 7th international, every 10th
// expired), paged by skip/top, and answers 429 to the first request of each page listed in limit.
// With total it names totalRecords; without, an empty page is a 204.
func listFake(t *testing.T, f *adminFake, n int, total bool, limit map[int]bool, pages *[]string) *sync.Mutex {
	var mu sync.Mutex
	f.setAPI(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != recordsPath {
			t.Errorf("%s %s", r.Method, r.URL.Path)
		}
		q := r.URL.Query()
		if o := q.Get("orderBy"); o != "phoneNumber asc" {
			t.Errorf("orderBy %q, want a stable order", o)
		}
		skip, _ := strconv.Atoi(q.Get("skip"))
		top, _ := strconv.Atoi(q.Get("top"))
		mu.Lock()
		*pages = append(*pages, q.Get("skip")+"/"+q.Get("top"))
		l := limit[skip]
		delete(limit, skip)
		mu.Unlock()
		if l {
			writeJSON(w, 429, `{"error":"Too many requests"}`)
			return
		}
		var recs []string
		for i := skip; i < min(n, skip+top); i++ {
			num, exp := fmt.Sprintf("415555%04d", i), "2099-01-01T00:00:00.000Z"
			if i%7 == 0 {
				num = fmt.Sprintf("4420794%05d", i)
			}
			if i%10 == 0 {
				exp = "2001-01-01T00:00:00"
			}
			recs = append(recs, fmt.Sprintf(`{"phoneNumber":%q,"formattedPhone":"(415) 555-0000","dateCollected":"2025-05-01T10:00:00Z","expiredDate":%q,"lastUpdateTime":"2025-05-01T10:00:00.123Z"}`, num, exp))
		}
		switch {
		case total:
			writeJSON(w, 200, fmt.Sprintf(`{"resultSet":{"totalRecords":%d,"dncRecords":[%s]}}`, n, strings.Join(recs, ",")))
		case len(recs) == 0:
			w.WriteHeader(http.StatusNoContent)
		default:
			writeJSON(w, 200, fmt.Sprintf(`{"resultSet":{"dncRecords":[%s]}}`, strings.Join(recs, ",")))
		}
	})
	return &mu
}

func TestAdminAllNumbersPages(t *testing.T) {
	for _, total := range []bool{true, false} {
		t.Run(fmt.Sprintf("totalRecords %v", total), func(t *testing.T) { testAllNumbersPages(t, total) })
	}
}

func testAllNumbersPages(t *testing.T, total bool) {
	f := newAdminFake(t)
	var pages []string
	mu := listFake(t, f, 250, total, map[int]bool{100: true}, &pages)
	a, p := newTestAdmin(f, nil)
	got, err := a.AllNumbers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for i := range 250 {
		if i%10 == 0 {
			continue
		}
		if i%7 == 0 {
			want[fmt.Sprintf("+4420794%05d", i)] = true
		} else {
			want[fmt.Sprintf("+1415555%04d", i)] = true
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d numbers, want %d", len(got), len(want))
	}
	for i, n := range got {
		if !want[n] {
			t.Errorf("unexpected %q", n)
		}
		if i > 0 && got[i-1] >= n {
			t.Errorf("not sorted and unique at %d", i)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	// Without totalRecords, the end is the empty page (a short page may only be CXone's cap).
	w := []string{"0/100", "100/100", "100/100", "200/100"}
	if !total {
		w = append(w, "250/100")
	}
	if !sameStrings(pages, w) {
		t.Errorf("pages %v, want %v (the 429'd page again)", pages, w)
	}
	waits, _, throttled := p.counts()
	if waits != len(w) || len(throttled) != 1 || throttled[0] != 0 {
		t.Errorf("%d pacer waits, throttled %v; want %d and one Throttled(0)", waits, throttled, len(w))
	}
}

func TestAdminListRecords(t *testing.T) {
	f := newAdminFake(t)
	var pages []string
	mu := listFake(t, f, 3, true, nil, &pages)
	a, _ := newTestAdmin(f, nil)
	recs, total, err := a.ListRecords(context.Background(), -5, 1000)
	if err != nil || total != 3 || len(recs) != 3 {
		t.Fatalf("got %d records of %d, %v", len(recs), total, err)
	}
	mu.Lock()
	if pages[0] != "0/100" {
		t.Errorf("skip/top sent as %s, want 0/100 (clamped)", pages[0])
	}
	mu.Unlock()
	r := recs[1]
	if r.Number != "+14155550001" || r.PhoneNumber != "4155550001" || r.FormattedPhone != "(415) 555-0000" ||
		!r.ExpiredDate.Equal(time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)) ||
		!r.DateCollected.Equal(time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)) ||
		!r.LastUpdateTime.Equal(time.Date(2025, 5, 1, 10, 0, 0, 123e6, time.UTC)) {
		t.Errorf("record %+v", r)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if !r.Active(now) || recs[0].Active(now) || !(Record{}).Active(now) {
		t.Error("Active: expired records must not count, records without expiry must")
	}
}

func TestAdminListAnswers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   string // "ok", or the Kind
		n      int
	}{
		{"empty group", 200, `{"resultSet":{"totalRecords":0,"dncRecords":[]}}`, "ok", 0},
		{"null records", 200, `{"resultSet":{"totalRecords":0,"dncRecords":null}}`, "ok", 0},
		{"204", 204, ``, "ok", 0},
		// Every field is optional in the spec; cxone-mcp reads dncGroupRecords, with or without resultSet.
		{"no resultSet", 200, `{"totalRecords":1,"dncRecords":[{"phoneNumber":4155552671}]}`, "ok", 1},
		{"no total", 200, `{"resultSet":{"dncRecords":[{"phoneNumber":"4155552671"}]}}`, "ok", 1},
		{"total as text", 200, `{"resultSet":{"totalRecords":"1","dncRecords":[{"phoneNumber":"4155552671"}]}}`, "ok", 1},
		{"dncGroupRecords", 200, `{"resultSet":{"dncGroupRecords":[{"formattedPhone":"(415) 555-2671"}]}}`, "ok", 1},
		{"no records", 200, `{"resultSet":{"totalRecords":4}}`, "ok", 0},
		{"empty object", 200, `{}`, "ok", 0},
		{"empty", 200, ``, "ok", 0},
		{"records not a list", 200, `{"resultSet":{"dncRecords":{"phoneNumber":"4155552671"}}}`, "transient", 0},
		{"an array", 200, `[]`, "transient", 0},
		{"html", 200, `<html>maintenance</html>`, "transient", 0},
		{"unknown group", 404, `{"error":"DNC Group not found"}`, "config", 0},
		{"500", 500, `oops`, "transient", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newAdminFake(t)
			f.setAPI(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Query().Get("skip") != "0" {
					w.WriteHeader(http.StatusNoContent) // the end, for AllNumbers
					return
				}
				writeJSON(w, tc.status, tc.body)
			})
			a, _ := newTestAdmin(f, nil)
			recs, _, err := a.ListRecords(context.Background(), 0, 100)
			got := "ok"
			if err != nil {
				got = KindOf(err).String()
			}
			if got != tc.want || len(recs) != tc.n {
				t.Fatalf("got %s with %d records (%v), want %s", got, len(recs), err, tc.want)
			}
			if tc.n == 1 && recs[0].Number != "+14155552671" {
				t.Errorf("record %+v", recs[0])
			}
			nums, err := a.AllNumbers(context.Background())
			if (err == nil) != (tc.want == "ok") || len(nums) != tc.n {
				t.Fatalf("AllNumbers: %v, %v", nums, err)
			}
		})
	}
}

// A tenant that refuses orderBy is paged without it rather than not at all.
func TestAdminListWithoutOrderByWhenRefused(t *testing.T) {
	f := newAdminFake(t)
	var mu sync.Mutex
	var orders []string
	f.setAPI(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		mu.Lock()
		orders = append(orders, q.Get("orderBy"))
		mu.Unlock()
		switch {
		case q.Has("orderBy"):
			w.Header().Set("icStatusDescription", "Invalid orderBy")
			w.WriteHeader(http.StatusBadRequest)
		case q.Get("skip") == "0":
			writeJSON(w, 200, `{"resultSet":{"dncRecords":[{"phoneNumber":"4155552671"}]}}`)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	})
	a, _ := newTestAdmin(f, nil)
	got, err := a.AllNumbers(context.Background())
	if err != nil || !sameStrings(got, []string{"+14155552671"}) {
		t.Fatalf("got %v, %v", got, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !sameStrings(orders, []string{"phoneNumber asc", "", ""}) {
		t.Errorf("orderBy sent %q; want it once, then never again", orders)
	}
}

func TestAdminAllNumbersStopsOnEmptyPage(t *testing.T) {
	f := newAdminFake(t)
	f.setAPI(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("skip") == "0" {
			writeJSON(w, 200, `{"resultSet":{"totalRecords":500,"dncRecords":[{"phoneNumber":"4155552671"}]}}`)
			return
		}
		writeJSON(w, 200, `{"resultSet":{"totalRecords":500,"dncRecords":[]}}`)
	})
	a, _ := newTestAdmin(f, nil)
	got, err := a.AllNumbers(context.Background())
	if err != nil || !sameStrings(got, []string{"+14155552671"}) {
		t.Fatalf("got %v, %v", got, err)
	}
}

func TestAdminAllNumbersGivesUpOnEndless429(t *testing.T) {
	f := newAdminFake(t)
	f.setAPI(func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 429, `{}`) })
	a, p := newTestAdmin(f, nil)
	if _, err := a.AllNumbers(context.Background()); KindOf(err) != RateLimited {
		t.Fatalf("got %v", err)
	}
	if w, _, _ := p.counts(); w != maxRateLimitedPages+1 {
		t.Errorf("%d attempts, want %d", w, maxRateLimitedPages+1)
	}
}

func TestAdminSearch(t *testing.T) {
	f := newAdminFake(t)
	f.setAPI(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/inContactAPI/services/"+DefaultAdminAPIVersion+"/dnc-groups/search" {
			t.Errorf("%s %s", r.Method, r.URL.Path)
		}
		switch r.URL.Query().Get("phoneNumber") {
		case "4155552671":
			writeJSON(w, 200, `{"searchResults":[{"dncGroupId":17,"dncGroupName":"Opt-outs","dncGroupDescription":"",
				"formattedPhone":"(415) 555-2671","expiredDate":"2031-01-01T00:00:00Z","dateCollected":"2025-01-01T00:00:00Z",
				"lastUpdateTime":"2025-01-01T00:00:00Z"},{"dncGroupId":"18","dncGroupName":"Old","expiredDate":"2020-01-01"}]}`)
		case "442079460958":
			w.WriteHeader(http.StatusNoContent)
		case "4155550100":
			writeJSON(w, 200, `{"searchResults":[]}`)
		default:
			writeJSON(w, 200, `{"results":[]}`)
		}
	})
	a, p := newTestAdmin(f, nil)
	res, err := a.Search(context.Background(), "+14155552671")
	if err != nil || len(res) != 2 {
		t.Fatalf("got %v, %v", res, err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if res[0].GroupID != "17" || res[0].GroupName != "Opt-outs" || res[0].FormattedPhone != "(415) 555-2671" ||
		!res[0].Active(now) || res[1].GroupID != "18" || res[1].Active(now) {
		t.Errorf("results %+v", res)
	}
	for _, n := range []string{"+442079460958", "+14155550100"} {
		if res, err := a.Search(context.Background(), n); err != nil || len(res) != 0 {
			t.Errorf("search %s: %v, %v", n, res, err)
		}
	}
	if _, err := a.Search(context.Background(), "+14155550199"); KindOf(err) != Transient {
		t.Errorf("a different shape: %v", err)
	}
	w0, _, _ := p.counts()
	if _, err := a.Search(context.Background(), "415-555-2671"); KindOf(err) != Permanent {
		t.Errorf("not E.164: %v", err)
	}
	if w, _, _ := p.counts(); w != w0 {
		t.Error("a request was sent for a number that is not E.164")
	}
}

func TestAdminSearchErrorHidesTheNumber(t *testing.T) {
	f := newAdminFake(t)
	f.setAPI(func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler) // the connection drops: a transport error quoting the URL
	})
	a, _ := newTestAdmin(f, nil)
	_, err := a.Search(context.Background(), "+14155552671")
	if KindOf(err) != Transient || !strings.Contains(err.Error(), "phoneNumber=") {
		t.Fatalf("got %v, want a transport error naming the URL", err)
	}
	assertLogSafe(t, err)
}
