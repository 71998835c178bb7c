package genesys

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestWireExpiry(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 20, 0, 0, time.UTC)
	limit := now.Add(MaxExpiry - expiryMargin) // 2026-08-28 11:20
	at := func(s string) time.Time {
		t, err := time.Parse(expirationLayout, s)
		if err != nil {
			panic(err)
		}
		return t
	}
	none, clamp := &Client{cfg: Config{LongExpiry: LongExpiryNone}}, &Client{cfg: Config{LongExpiry: LongExpiryClamp}}
	for _, tc := range []struct {
		name string
		c    *Client
		end  time.Time
		wire string
	}{
		{"none", none, time.Time{}, ""},
		{"rounded up to the hour", none, now.Add(90 * time.Minute), "2026-03-01T14:00Z"},
		{"on the hour", none, at("2026-03-01T13:00Z"), "2026-03-01T13:00Z"},
		{"another zone, same instant", none, at("2026-03-01T13:00Z").In(time.FixedZone("X", -5*3600)), "2026-03-01T13:00Z"},
		{"near the limit: to the minute", none, limit.Add(-14*time.Minute - 30*time.Second), "2026-08-28T11:06Z"},
		{"at the limit", none, limit, "2026-08-28T11:20Z"},
		{"beyond: none", none, now.AddDate(1, 0, 0), ""},
		{"beyond: clamped", clamp, now.AddDate(1, 0, 0), "2026-08-28T11:20Z"},
		{"in the past stays", none, now.Add(-3 * time.Hour), "2026-03-01T10:00Z"},
	} {
		wire, sent := tc.c.wireExpiry(tc.end, now)
		var want time.Time
		if tc.wire != "" {
			want = at(tc.wire)
		}
		if wire != tc.wire || !sent.Equal(want) {
			t.Errorf("%s: %q %v, want %q", tc.name, wire, sent, tc.wire)
		}
		if tc.c == none && !sent.IsZero() && sent.Before(tc.end) {
			t.Errorf("%s: an end was made earlier", tc.name)
		}
	}
}

func TestRegionDomain(t *testing.T) {
	for in, want := range map[string]string{
		"":                               "mypurecloud.com",
		"us-east-1":                      "mypurecloud.com",
		"US-WEST-2":                      "usw2.pure.cloud",
		"eu-west-1":                      "mypurecloud.ie",
		"mypurecloud.com.au":             "mypurecloud.com.au",
		"api.mypurecloud.de":             "mypurecloud.de",
		"https://login.usw2.pure.cloud/": "usw2.pure.cloud",
	} {
		if got, err := RegionDomain(in); err != nil || got != want {
			t.Errorf("RegionDomain(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"us-east-9", "nowhere", "api.x.com/path"} {
		if _, err := RegionDomain(bad); err == nil || !strings.Contains(err.Error(), "GENESYS_REGION") {
			t.Errorf("RegionDomain(%q): %v", bad, err)
		}
	}
	login, api, err := Config{Region: "ca-central-1"}.hosts()
	if err != nil || login != "https://login.cac1.pure.cloud" || api != "https://api.cac1.pure.cloud" {
		t.Errorf("hosts of ca-central-1: %q %q %v", login, api, err)
	}
	login, api, err = Config{Region: "eu-west-2", APIURL: "http://127.0.0.1:9/"}.hosts()
	if err != nil || login != "https://login.euw2.pure.cloud" || api != "http://127.0.0.1:9" {
		t.Errorf("hosts with an API override: %q %q %v", login, api, err)
	}
}

func TestParseExport(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for name, tc := range map[string]struct {
		csv  string
		want []string
	}{
		"named columns, any order": {"\ufeffExpiration Date,Phone Number\n2026-03-02T00:00Z,+14155550001\n,4155550002\n2026-02-01T00:00Z,+14155550003\n",
			[]string{"+14155550001", "+14155550002"}},
		"positions as terraform reads them": {"a,b,c\n+14155550001,x,\n14155550002,x,2027-01-01T00:00:00Z\n",
			[]string{"+14155550001", "+14155550002"}},
		"unreadable expiry is left out": {"phone,x,expires\n+14155550001,,soon\n+442071234567,,\n", []string{"+442071234567"}},
		"junk and duplicates":           {"phone\n\nnot a number\n+14155550001\n+1 (415) 555-0001\n", []string{"+14155550001"}},
		"empty":                         {"", nil},
		"header only":                   {"phone_number,contact_method,expiration_date_time\n", nil},
	} {
		got, err := parseExport(strings.NewReader(tc.csv), now)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, %v; want %v", name, got, err, tc.want)
		}
	}
}

func TestDescribeRedacts(t *testing.T) {
	r := response{Status: 400, Header: http.Header{"Inin-Correlation-Id": {"abc-123"}},
		Body: []byte(`{"message":"Value [+14155552671] is not valid for field type [phoneNumber]","code":"invalid.value","status":400}`)}
	got := describe(r)
	if strings.Contains(got, "4155552671") || !strings.Contains(got, "invalid.value") || !strings.Contains(got, "abc-123") {
		t.Fatalf("describe = %q", got)
	}
	html := response{Status: 502, Body: []byte("<html>\r\n<head><title>502 Bad Gateway</title></head>" + strings.Repeat("x", 500))}
	if got := describe(html); len(got) > 140 || !strings.Contains(got, "502 Bad Gateway") {
		t.Fatalf("describe of a gateway page = %q", got)
	}
}
