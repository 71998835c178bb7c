package adminapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/gate"
	"github.com/dncsync/dncsync/internal/ops"
	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/boltq"
)

const adminToken = "lookup-test-admin-token-0123"

type testBundle struct {
	store *boltq.Store
	srv   *httptest.Server
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	s, err := boltq.Open(filepath.Join(t.TempDir(), "q.db"), boltq.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	o := &ops.Ops{Store: s, Lanes: []ops.Lane{{Name: "cxone", Store: s}}, DefaultRegion: "US"}
	mux := http.NewServeMux()
	New(o, gate.New(gate.Config{Realm: "admin", Token: adminToken})).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &testBundle{store: s, srv: srv}
}

func (b *testBundle) get(t *testing.T, path, authorization string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.srv.URL+path, nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (b *testBundle) synced(t *testing.T, number string) {
	t.Helper()
	ctx := context.Background()
	at := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	if _, err := b.store.Enqueue(ctx, []queue.Event{{Number: number, Raw: number, Action: queue.Add,
		OccurredAt: at, ReceivedAt: at}}); err != nil {
		t.Fatal(err)
	}
	items, err := b.store.Claim(ctx, 1, time.Minute)
	if err != nil || len(items) != 1 {
		t.Fatalf("claim: %v %v", items, err)
	}
	if err := b.store.Ack(ctx, items); err != nil {
		t.Fatal(err)
	}
}

// TestCountryOnlyReadsNationalNumbers: an international query ignores ?country=, a national one
// needs a known region.
func TestCountryOnlyReadsNationalNumbers(t *testing.T) {
	b := setup(t)
	b.synced(t, "+14155550177")
	b.synced(t, "+442079460958")
	auth := "Bearer " + adminToken
	for _, tc := range []struct {
		path   string
		status int
		number string
	}{
		{"/v1/numbers/+14155550177?country=XX", 200, "+14155550177"},
		{"/v1/numbers/+14155550177?country=GB", 200, "+14155550177"},
		{"/v1/numbers/%2B1%20415%20555%200177?country=zz", 200, "+14155550177"},
		{"/v1/numbers/4155550177", 200, "+14155550177"},
		{"/v1/numbers/02079460958?country=GB", 200, "+442079460958"},
		{"/v1/numbers/02079460958?country=gb", 200, "+442079460958"},
		{"/v1/numbers/4155550177?country=XX", 400, ""},
		{"/v1/numbers/4155550177?country=United%20States", 400, ""},
		{"/v1/numbers/4155550100", 404, ""},
	} {
		resp, body := b.get(t, tc.path, auth)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %d, want %d\n%s", tc.path, resp.StatusCode, tc.status, body)
			continue
		}
		var a ops.Answer
		if err := json.Unmarshal([]byte(body), &a); err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		if tc.status == 200 && (a.Number != tc.number || a.State != queue.StateSynced) {
			t.Errorf("%s: %s %s, want %s synced", tc.path, a.Number, a.State, tc.number)
		}
		if tc.status == 400 && !strings.Contains(body, "country") {
			t.Errorf("%s: 400 without saying why: %s", tc.path, body)
		}
	}
}

// TestNoStoreAndOneTokenRule: every /v1 answer is no-store; the admin token is read by gate's rule
// and failures back off, while the right token works at once.
func TestNoStoreAndOneTokenRule(t *testing.T) {
	b := setup(t)
	for _, tc := range []struct {
		path, auth string
		status     int
	}{
		{"/v1/numbers/+14155550177", "Bearer " + adminToken, 404},
		{"/v1/stats", "bearer " + adminToken, 200},
		{"/v1/status", "BEARER  " + adminToken, 200},
		{"/v1/rejections", "Bearer " + adminToken, 200},
		{"/v1/dead-letters", "", 401},
		{"/v1/stats", "Bearer", 401},
		{"/v1/stats", "Basic " + adminToken, 401},
	} {
		resp, body := b.get(t, tc.path, tc.auth)
		if resp.StatusCode != tc.status || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s with %q: %d Cache-Control %q, want %d no-store\n%s", tc.path, tc.auth, resp.StatusCode,
				resp.Header.Get("Cache-Control"), tc.status, body)
		}
	}
	for i := range gate.FreeFailures {
		if resp, _ := b.get(t, "/v1/stats", "Bearer wrong-token-wrong-token"); resp.StatusCode != 401 {
			t.Fatalf("wrong token %d: %d", i+1, resp.StatusCode)
		}
	}
	resp, body := b.get(t, "/v1/stats", "Bearer wrong-token-wrong-token")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "try again") {
		t.Fatalf("wrong token after %d failures: %d %v\n%s", gate.FreeFailures, resp.StatusCode, resp.Header, body)
	}
	if resp, _ := b.get(t, "/v1/stats", "Bearer "+adminToken); resp.StatusCode != 200 {
		t.Fatalf("the right token during the back-off: %d", resp.StatusCode)
	}
}

// TestAnswersCarryNoControlCharacters: the JSON of a rejection with escape sequences is the same
// value with every control character escaped, safe to read with curl in a terminal.
func TestAnswersCarryNoControlCharacters(t *testing.T) {
	b := setup(t)
	raw := "\x1b]0;owned\x07\u009b2J\x7f\u202e12"
	if err := b.store.Reject(context.Background(), queue.Rejection{Raw: raw, Reason: "not_a_number",
		Source: "\x1b[31mred", ReceivedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	_, body := b.get(t, "/v1/rejections", "Bearer "+adminToken)
	for _, r := range body {
		if (r < 0x20 && r != '\n') || (r >= 0x7f && r <= 0x9f) || r == 0x202e {
			t.Fatalf("answer carries %U:\n%q", r, body)
		}
	}
	var got ops.Rejections
	if err := json.Unmarshal([]byte(body), &got); err != nil || len(got.Rejections) != 1 || got.Rejections[0].Raw != raw {
		t.Fatalf("rejections %+v (%v), want the raw text as it came", got, err)
	}
}
