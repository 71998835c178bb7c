package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/dncsync/dncsync/api"
	"github.com/dncsync/dncsync/internal/cxone/cxonesim"
	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/setting"
)

// The API document against the service: every route is documented and every documented operation
// is a route, and the examples are what the real handlers answer.

type apiDoc struct {
	Paths map[string]map[string]apiOp `yaml:"paths"`
}

type apiOp struct {
	RequestBody struct {
		Content map[string]struct {
			Examples map[string]struct {
				Value any `yaml:"value"`
			} `yaml:"examples"`
		} `yaml:"content"`
	} `yaml:"requestBody"`
	Parameters []struct {
		Name    string `yaml:"name"`
		In      string `yaml:"in"`
		Example any    `yaml:"example"`
	} `yaml:"parameters"`
	Responses map[string]struct {
		Content map[string]struct {
			Examples map[string]struct {
				Path  string `yaml:"x-path"`
				Value any    `yaml:"value"`
			} `yaml:"examples"`
		} `yaml:"content"`
	} `yaml:"responses"`
}

func loadAPIDoc(t *testing.T) apiDoc {
	t.Helper()
	var doc apiDoc
	if err := yaml.Unmarshal(api.OpenAPI, &doc); err != nil {
		t.Fatalf("api/openapi.yaml: %v", err)
	}
	return doc
}

const adminToken = "api-test-admin-token-0123456789"

// apiService is the service as serve wires it, on an embedded store against the CXone simulator,
// with every optional route on.
func apiService(t *testing.T) *Service {
	t.Helper()
	sim := cxonesim.New(cxonesim.Config{ClientID: "e2e", ClientSecret: "e2e-secret", ListID: "e2e-list", RatePerMinute: 6000})
	url, stop := sim.Start()
	t.Cleanup(stop)
	for _, kv := range []string{"CXONE_API=v2", "CXONE_BASE_URL=" + url, "CXONE_CLIENT_ID=e2e", "CXONE_CLIENT_SECRET=e2e-secret",
		"CXONE_DNC_LIST_ID=e2e-list", "CXONE_RATE_LIMIT_RPM=6000", "DNCSYNC_DATA_DIR=" + t.TempDir(),
		"DNCSYNC_ADMIN_TOKEN=" + adminToken, "TWILIO_AUTH_TOKEN=twilio-token", "DNCSYNC_PUBLIC_URL=https://dncsync.example.com",
		"DNCSYNC_WEBHOOK_AUTH=none",
		// Revoke-all on: the examples read revoke_all whether or not the store keeps an event's policy.
		"DNCSYNC_REVOKE_ALL=on"} {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	cfg := Bind(setting.New(""))
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	svc, err := New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Store().Close() })
	return svc
}

func TestAPIDocumentMatchesRoutes(t *testing.T) {
	doc := loadAPIDoc(t)
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	routed := map[string]bool{}
	for _, p := range apiService(t).Routes {
		routed[strings.Replace(p, "{$}", "", 1)] = true
	}
	for _, r := range slices.Sorted(maps.Keys(routed)) {
		if !documented[r] {
			t.Errorf("route %s is not in api/openapi.yaml", r)
		}
	}
	for _, d := range slices.Sorted(maps.Keys(documented)) {
		if !routed[d] {
			t.Errorf("api/openapi.yaml documents %s, which is not a route", d)
		}
	}
}

// TestAPIExamples sends each request example (or the example path) to the real handlers and
// compares the answer with the response example of the same name.
func TestAPIExamples(t *testing.T) {
	doc := loadAPIDoc(t)
	svc := apiService(t)
	seedExamples(t, svc)
	type example struct {
		method, path, name, status, media string
		request, want                     any
	}
	var all []example
	for path, ops := range doc.Paths {
		for method, op := range ops {
			concrete := path
			for _, p := range op.Parameters {
				if p.In == "path" {
					concrete = strings.Replace(concrete, "{"+p.Name+"}", fmt.Sprint(p.Example), 1)
				}
			}
			for status, resp := range op.Responses {
				for media, c := range resp.Content {
					for name, ex := range c.Examples {
						e := example{method: strings.ToUpper(method), path: concrete, name: name, status: status,
							media: media, want: ex.Value}
						if ex.Path != "" {
							e.path = ex.Path
						}
						if rb, ok := op.RequestBody.Content["application/json"]; ok {
							req, ok := rb.Examples[name]
							if !ok {
								t.Fatalf("%s %s: response example %q has no request example of that name", method, path, name)
							}
							e.request = req.Value
						}
						all = append(all, e)
					}
				}
			}
		}
	}
	if len(all) < 15 {
		t.Fatalf("only %d examples found; the document's shape changed?", len(all))
	}
	slices.SortFunc(all, func(a, b example) int { return strings.Compare(a.path+a.method+a.name, b.path+b.method+b.name) })
	for _, e := range all {
		t.Run(e.method+" "+e.path+" "+e.name, func(t *testing.T) {
			var body io.Reader
			if e.request != nil {
				b, err := json.Marshal(jsonable(e.request))
				if err != nil {
					t.Fatal(err)
				}
				body = strings.NewReader(string(b))
			}
			req := httptest.NewRequest(e.method, e.path, body)
			req.Header.Set("Authorization", "Bearer "+adminToken)
			if body != nil {
				req.Header.Set("Content-Type", "application/json")
			}
			rec := httptest.NewRecorder()
			svc.Handler().ServeHTTP(rec, req)
			if fmt.Sprint(rec.Code) != e.status {
				t.Fatalf("answered %d, the example says %s:\n%s", rec.Code, e.status, rec.Body)
			}
			if e.media != "application/json" {
				if got := rec.Body.String(); got != fmt.Sprint(e.want) {
					t.Fatalf("answered %q, the example says %q", got, e.want)
				}
				return
			}
			var got any
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("answer is not JSON: %v\n%s", err, rec.Body)
			}
			if diffs := compareJSON("", jsonable(e.want), got); len(diffs) > 0 {
				t.Fatalf("answer differs from the example:\n  %s\nanswer: %s", strings.Join(diffs, "\n  "), rec.Body)
			}
		})
	}
}

// seedExamples puts in the store what the examples look at: a number from GB, a rejection, and four
// dead letters.
func seedExamples(t *testing.T, svc *Service) {
	t.Helper()
	post := func(body string) {
		req := httptest.NewRequest(http.MethodPost, "/webhook/opt-out", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		svc.Handler().ServeHTTP(rec, req)
		if rec.Code != 200 && rec.Code != 422 {
			t.Fatalf("seed %s: %d %s", body, rec.Code, rec.Body)
		}
	}
	ctx := context.Background()
	now := time.Now().Truncate(time.Millisecond)
	var evs []queue.Event
	// Examples run in path order: drop takes 103, requeue?max=1 the oldest (100), retry 102, and the
	// list shows 101.
	for _, n := range []string{"+14155550100", "+14155550101", "+14155550102", "+14155550103"} {
		evs = append(evs, queue.Event{Number: n, Raw: n, Action: queue.Add, Source: "web", OccurredAt: now, ReceivedAt: now})
	}
	if _, err := svc.Store().Enqueue(ctx, evs); err != nil {
		t.Fatal(err)
	}
	items, err := svc.Store().Claim(ctx, 4, time.Minute)
	if err != nil || len(items) != 4 {
		t.Fatalf("claim %d, %v", len(items), err)
	}
	for _, it := range items {
		if err := svc.Store().DeadLetter(ctx, it, "cxone add: invalid (HTTP 400): phone number is not valid"); err != nil {
			t.Fatal(err)
		}
		nextMillisecond() // distinct dead-at times, oldest first
	}
	post(`{"phoneNumber":"020 7946 0958","country":"GB","source":"crm","occurredAt":"2026-11-27T09:30:00Z"}`)
	post(`{"phoneNumber":"12345","source":"web"}`)
}

// nextMillisecond returns once the wall clock shows another millisecond (within one): the store
// stamps dead letters with it, to the millisecond, and the service it is built in takes no clock.
func nextMillisecond() {
	t0 := time.Now().Truncate(time.Millisecond)
	for !time.Now().Truncate(time.Millisecond).After(t0) {
		runtime.Gosched()
	}
}

// jsonable turns YAML's decoded values into what encoding/json decodes (maps with string keys,
// float64 numbers).
func jsonable(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = jsonable(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonable(e)
		}
		return out
	case int:
		return float64(x)
	}
	return v
}

// compareJSON lists where got differs from the example want: the same keys and types everywhere,
// arrays of the same length, and equal values except numbers, times, and error text, which vary.
func compareJSON(at string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: an object in the example, %T in the answer", at, got)}
		}
		var out []string
		for _, k := range slices.Sorted(maps.Keys(w)) {
			if _, ok := g[k]; !ok {
				out = append(out, fmt.Sprintf("%s.%s: in the example, not in the answer", at, k))
				continue
			}
			out = append(out, compareJSON(at+"."+k, w[k], g[k])...)
		}
		for _, k := range slices.Sorted(maps.Keys(g)) {
			if _, ok := w[k]; !ok {
				out = append(out, fmt.Sprintf("%s.%s: in the answer, not in the example", at, k))
			}
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s: %d items in the example, answer %v", at, len(w), got)}
		}
		var out []string
		for i := range w {
			out = append(out, compareJSON(fmt.Sprintf("%s[%d]", at, i), w[i], g[i])...)
		}
		return out
	case float64:
		if _, ok := got.(float64); !ok {
			return []string{fmt.Sprintf("%s: a number in the example, %v in the answer", at, got)}
		}
		return nil
	case string:
		g, ok := got.(string)
		if !ok {
			return []string{fmt.Sprintf("%s: a string in the example, %v in the answer", at, got)}
		}
		_, wt := time.Parse(time.RFC3339Nano, w)
		_, gt := time.Parse(time.RFC3339Nano, g)
		if g == w || (wt == nil && gt == nil) || strings.HasSuffix(at, ".error") {
			return nil
		}
		return []string{fmt.Sprintf("%s: %q in the example, %q in the answer", at, w, g)}
	case nil:
		if got != nil {
			return []string{fmt.Sprintf("%s: null in the example, %v in the answer", at, got)}
		}
		return nil
	}
	if fmt.Sprint(want) != fmt.Sprint(got) {
		return []string{fmt.Sprintf("%s: %v in the example, %v in the answer", at, want, got)}
	}
	return nil
}
