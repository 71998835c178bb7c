package cxone

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseAdminTime(t *testing.T) {
	d := func(y int, m time.Month, day, h, min, s, ns int) time.Time {
		return time.Date(y, m, day, h, min, s, ns, time.UTC)
	}
	for in, want := range map[string]time.Time{
		"2031-01-01T00:00:00Z":             d(2031, 1, 1, 0, 0, 0, 0),
		"2031-01-01T00:00:00.5Z":           d(2031, 1, 1, 0, 0, 0, 5e8),
		"2031-01-01t00:00:00z":             d(2031, 1, 1, 0, 0, 0, 0),
		"2031-01-01T01:00:00+01:00":        d(2031, 1, 1, 0, 0, 0, 0),
		"2031-01-01T01:00:00+0100":         d(2031, 1, 1, 0, 0, 0, 0),
		"2031-01-01T01:00:00.25+01":        d(2031, 1, 1, 0, 0, 0, 25e7),
		"2031-01-01T00:00:00":              d(2031, 1, 1, 0, 0, 0, 0),
		"2031-01-01T00:00:00.123":          d(2031, 1, 1, 0, 0, 0, 123e6),
		"2031-01-01T10:30":                 d(2031, 1, 1, 10, 30, 0, 0),
		"2031-01-01T10:30Z":                d(2031, 1, 1, 10, 30, 0, 0),
		"2031-01-01 10:30:00":              d(2031, 1, 1, 10, 30, 0, 0),
		"2031-01-01 10:30:00.7":            d(2031, 1, 1, 10, 30, 0, 7e8),
		"2031-01-01 10:30:00-05:00":        d(2031, 1, 1, 15, 30, 0, 0),
		"2031-01-01":                       d(2031, 1, 1, 0, 0, 0, 0),
		"01/02/2031":                       d(2031, 1, 2, 0, 0, 0, 0),
		"1/2/2031":                         d(2031, 1, 2, 0, 0, 0, 0),
		"12/31/2031":                       d(2031, 12, 31, 0, 0, 0, 0),
		"1/2/2031 12:00:00 AM":             d(2031, 1, 2, 0, 0, 0, 0),
		"1/2/2031 12:00:00 PM":             d(2031, 1, 2, 12, 0, 0, 0),
		"01/02/2031 01:30:00 PM":           d(2031, 1, 2, 13, 30, 0, 0),
		"1/2/2031 1:30:15 pm":              d(2031, 1, 2, 13, 30, 15, 0),
		"1/2/2031 1:30 PM":                 d(2031, 1, 2, 13, 30, 0, 0),
		"1/2/2031 1:30:00PM":               d(2031, 1, 2, 13, 30, 0, 0),
		"1/2/2031 11:59:59.997 PM":         d(2031, 1, 2, 23, 59, 59, 997e6),
		"01/02/2031 13:04:05":              d(2031, 1, 2, 13, 4, 5, 0),
		"1/2/2031 13:04":                   d(2031, 1, 2, 13, 4, 0, 0),
		"  1/2/2031  ":                     d(2031, 1, 2, 0, 0, 0, 0),
		"":                                 {},
		"0001-01-01T00:00:00":              {}, // .NET's empty date: no end, as before
		"2031-01-01T00:00:00.123456789Z":   d(2031, 1, 1, 0, 0, 0, 123456789),
		"2031-01-01T00:00:00.123456+00:00": d(2031, 1, 1, 0, 0, 0, 123456e3),
	} {
		got, ok := parseAdminTime(in)
		if !ok || !got.Equal(want) {
			t.Errorf("parseAdminTime(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"soon", "never", "31.01.2031", "2031/01/02", "13/02/2031", "1/32/2031", "Jan 2, 2031",
		"1/2/31", "2031-01-01T25:00:00Z", "1/2/2031 13:00:00 PM", "/Date(1924992000000)/"} {
		if got, ok := parseAdminTime(in); ok {
			t.Errorf("parseAdminTime(%q) = %v, ok; want it unread", in, got)
		}
	}
}

// FuzzParseAdminTime: any text parses without panicking, to a time only when ok; every time,
// written in each shape CXone is known to use, reads back as itself (to the shape's precision).
func FuzzParseAdminTime(f *testing.F) {
	f.Add(int64(1924992000), uint8(0), "1/2/2031 12:00:00 AM")
	f.Add(int64(0), uint8(3), "2031-01-01T00:00:00.5+01:00")
	f.Add(int64(-62135596800), uint8(7), "")
	f.Add(int64(253402300799), uint8(5), "12/31/9999 11:59:59 PM")
	writes := []struct {
		layout string
		step   time.Duration
	}{
		{time.RFC3339Nano, 0}, {time.RFC3339, time.Second}, {"2006-01-02T15:04:05.000-07:00", time.Millisecond},
		{"2006-01-02T15:04:05", time.Second}, {"2006-01-02 15:04:05", time.Second}, {"2006-01-02", 24 * time.Hour},
		{"01/02/2006", 24 * time.Hour}, {"1/2/2006", 24 * time.Hour}, {"1/2/2006 3:04:05 PM", time.Second},
		{"01/02/2006 03:04:05 PM", time.Second}, {"1/2/2006 3:04 PM", time.Minute}, {"1/2/2006 15:04:05", time.Second},
		{"1/2/2006 3:04:05 pm", time.Second}, {"2006-01-02T15:04Z07:00", time.Minute},
	}
	zone := time.FixedZone("", -5*3600)
	f.Fuzz(func(t *testing.T, sec int64, shape uint8, text string) {
		if got, ok := parseAdminTime(text); !ok && !got.IsZero() {
			t.Fatalf("%q: unread, but a time %v", text, got)
		}
		// Years 1..9999, the range every shape can write.
		sec = sec % (253402300800 + 62135596800)
		if sec < 0 {
			sec = -sec
		}
		at := time.Unix(sec-62135596800, int64(uint64(sec)%1e9)).UTC()
		w := writes[int(shape)%len(writes)]
		in := at
		if strings.Contains(w.layout, "Z07") || strings.Contains(w.layout, "-07") {
			in = at.In(zone) // a zone the text carries
		}
		if in.Year() < 1 || in.Year() > 9999 {
			return
		}
		text = in.Format(w.layout)
		got, ok := parseAdminTime(text)
		want := at
		if w.step > 0 {
			want = time.Date(in.Year(), in.Month(), in.Day(), in.Hour(), in.Minute(), in.Second(), in.Nanosecond(), time.UTC)
			if w.step >= time.Second {
				want = want.Truncate(w.step)
			}
			if strings.Contains(w.layout, "Z07") || strings.Contains(w.layout, "-07") {
				want = at.Truncate(w.step)
			}
		}
		if !ok || !got.Equal(want) {
			t.Fatalf("%q (from %v with %q) = %v, %v; want %v", text, at, w.layout, got, ok, want)
		}
	})
}

// A record whose expiredDate reads in no known shape counts as expired, so that reconcile re-adds
// the number; the shape is logged once, whatever the number of such records.
func TestUnreadExpiredDateIsExpired(t *testing.T) {
	f := newAdminFake(t)
	f.setAPI(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("skip") != "0" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		writeJSON(w, 200, `{"resultSet":{"dncRecords":[
			{"phoneNumber":"4155550001","expiredDate":"1/2/2001 12:00:00 AM"},
			{"phoneNumber":"4155550002","expiredDate":"1/2/2999"},
			{"phoneNumber":"4155550003","expiredDate":"31.12.2999"},
			{"phoneNumber":"4155550004","expiredDate":"01.01.2999"},
			{"phoneNumber":"4155550005","expiredDate":null},
			{"phoneNumber":"4155550006"}]}}`)
	})
	var logs bytes.Buffer
	a, _ := newTestAdmin(f, func(c *AdminConfig) { c.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	recs, _, err := a.ListRecords(context.Background(), 0, 100)
	if err != nil || len(recs) != 6 {
		t.Fatalf("%d records, %v", len(recs), err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, want := range []bool{false, true, false, false, true, true} {
		if got := recs[i].Active(now); got != want {
			t.Errorf("record %d (%+v): active %v, want %v", i, recs[i], got, want)
		}
	}
	if !recs[2].ExpiryUnread || recs[1].ExpiryUnread {
		t.Errorf("unread flags: %+v", recs)
	}
	all, err := a.AllNumbers(context.Background())
	if err != nil || strings.Join(all, ",") != "+14155550002,+14155550005,+14155550006" {
		t.Fatalf("active numbers %v, %v", all, err)
	}
	if n := strings.Count(logs.String(), "does not read"); n != 1 || !strings.Contains(logs.String(), "99.99.9999") ||
		strings.Contains(logs.String(), "2999") {
		t.Errorf("want the shape logged once, without the date:\n%s", logs.String())
	}
}
