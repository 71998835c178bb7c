package cxone

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/gate"
)

// adminFake is a small stand-in for the CXone authentication host and Admin API, for the edge
// cases the simulator does not produce. API requests go to the api handler set by each test.
type adminFake struct {
	*httptest.Server
	t *testing.T

	mu       sync.Mutex
	hits     map[string]int  // "METHOD /path" -> count
	live     map[string]bool // issued tokens still accepted
	issued   int
	tenant   string // tenantId claim of issued tokens ("" omits it)
	claimIn  string // which token carries it: "id" (the default, as the spec's), "access", "both"; "no-id": no id_token at all
	ttl      int    // expires_in of issued tokens
	api      http.HandlerFunc
	tokenFn  func(w http.ResponseWriter, r *http.Request) bool // may answer instead of issuing
	discover http.HandlerFunc                                  // replaces the cxone-configuration answer
}

const (
	fakeKeyID     = "AKID-test"
	fakeKeySecret = "s3cret-key-value"
	fakeClientID  = "app-client"
	fakeClientSec = "app-secret-value"
	fakeGroup     = "g-17"
)

func newAdminFake(t *testing.T) *adminFake {
	f := &adminFake{t: t, hits: map[string]int{}, live: map[string]bool{}, tenant: "tenant-1", ttl: 3600}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /authentication/v1/token/access-key", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			ID     string `json:"accessKeyId"`
			Secret string `json:"accessKeySecret"`
		}
		if r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&body) != nil {
			http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
			return
		}
		if body.ID != fakeKeyID || body.Secret != fakeKeySecret {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		f.issue(w, r)
	})
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"issuer":%q,"token_endpoint":%q}`, f.URL, f.URL+"/auth/token")
	})
	mux.HandleFunc("POST /auth/token", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || r.ParseForm() != nil ||
			r.PostForm.Get("grant_type") != "password" {
			http.Error(w, `{"error":"unsupported_grant_type"}`, http.StatusBadRequest)
			return
		}
		// client_secret_basic, or client_secret_post with the client in the form; never both.
		id, secret, basic := r.BasicAuth()
		if !basic {
			id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		} else if r.PostForm.Has("client_secret") {
			http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
			return
		}
		if id != fakeClientID || secret != fakeClientSec {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		if r.PostForm.Get("username") != fakeKeyID || r.PostForm.Get("password") != fakeKeySecret {
			http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
			return
		}
		f.issue(w, r)
	})
	mux.HandleFunc("GET /.well-known/cxone-configuration", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		d, tenant := f.discover, f.tenant
		f.mu.Unlock()
		if d != nil {
			d(w, r)
			return
		}
		if tenant == "" || r.URL.Query().Get("tenantId") != tenant {
			http.Error(w, `{"error":"unknown tenant"}`, http.StatusNotFound)
			return
		}
		fmt.Fprintf(w, `{"area":"na1","api_endpoint":%q,"ui_endpoint":"https://ui.example"}`, f.URL+"/")
	})
	mux.HandleFunc("/inContactAPI/", func(w http.ResponseWriter, r *http.Request) {
		tok, _ := gate.Bearer(r)
		f.mu.Lock()
		live, api := f.live[tok], f.api
		f.mu.Unlock()
		if !live {
			http.Error(w, `{"error":"invalid_token"}`, http.StatusUnauthorized)
			return
		}
		if r.Header.Get("Accept") != "application/json" {
			http.Error(w, `{"error":"Accept header required"}`, http.StatusNotAcceptable)
			return
		}
		if api == nil {
			http.NotFound(w, r)
			return
		}
		api(w, r)
	})
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.hits[r.Method+" "+r.URL.Path]++
		f.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

// issue answers a token request with a fresh JWT-shaped token carrying the tenant claim.
func (f *adminFake) issue(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	fn := f.tokenFn
	f.mu.Unlock()
	if fn != nil && fn(w, r) {
		return
	}
	f.mu.Lock()
	f.issued++
	access := map[string]any{"sub": "user", "n": f.issued}
	id := map[string]any{"sub": "user", "iss": f.URL}
	if f.tenant != "" {
		switch f.claimIn {
		case "", "id":
			id["tenantId"] = f.tenant
		case "access", "no-id":
			access["tenantId"] = f.tenant
		case "both":
			id["tenantId"], access["tenantId"] = f.tenant, f.tenant
		}
	}
	tok := fakeJWT(access)
	f.live[tok] = true
	ttl := f.ttl
	idTok := `,"id_token":` + strconv.Quote(fakeJWT(id))
	if f.claimIn == "no-id" {
		idTok = ""
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":%d%s}`, tok, ttl, idTok)
}

func fakeJWT(claims map[string]any) string {
	p, _ := json.Marshal(claims)
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc(p) + ".c2lnbmF0dXJl"
}

func (f *adminFake) setAPI(h http.HandlerFunc) {
	f.mu.Lock()
	f.api = h
	f.mu.Unlock()
}

func (f *adminFake) hit(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[key]
}

func (f *adminFake) revokeAll() {
	f.mu.Lock()
	clear(f.live)
	f.mu.Unlock()
}

const recordsPath = "/inContactAPI/services/" + DefaultAdminAPIVersion + "/dnc-groups/" + fakeGroup + "/records"

// adminPacer is a Pacer that records what it was told.
type adminPacer struct {
	mu        sync.Mutex
	waits     int
	throttled []time.Duration
	oks       int
	pause     time.Duration // returned by Throttled when given 0
}

func (p *adminPacer) Wait(ctx context.Context) error {
	p.mu.Lock()
	p.waits++
	p.mu.Unlock()
	return ctx.Err()
}

func (p *adminPacer) Throttled(_ context.Context, d time.Duration) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.throttled = append(p.throttled, d)
	if d <= 0 {
		return p.pause
	}
	return d
}

func (p *adminPacer) OK(context.Context) {
	p.mu.Lock()
	p.oks++
	p.mu.Unlock()
}

func (p *adminPacer) counts() (waits, oks int, throttled []time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.waits, p.oks, append([]time.Duration(nil), p.throttled...)
}

func newTestAdmin(f *adminFake, change func(*AdminConfig)) (*Admin, *adminPacer) {
	p := &adminPacer{pause: 3 * time.Second}
	cfg := AdminConfig{AuthURL: f.URL, DiscoveryURL: f.URL, AccessKeyID: fakeKeyID, AccessKeySecret: fakeKeySecret,
		GroupID: fakeGroup, Pacer: p, HTTP: f.Client(), Timeout: 5 * time.Second}
	if change != nil {
		change(&cfg)
	}
	return NewAdmin(cfg), p
}

// sentRecord is one record of a request body as it travelled.
type sentRecord struct {
	PhoneNumber string // the digits
	Number      bool   // phoneNumber was a JSON number, not a string
	ExpiredDate string
}

// decodeRecords reads a records request body strictly.
func decodeRecords(t *testing.T, r *http.Request) []sentRecord {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	var body struct {
		DNCGroupRecords []struct {
			PhoneNumber json.RawMessage `json:"phoneNumber"`
			ExpiredDate string          `json:"expiredDate"`
		} `json:"dncGroupRecords"`
	}
	if err := dec.Decode(&body); err != nil {
		t.Errorf("request body: %v", err)
	}
	out := make([]sentRecord, len(body.DNCGroupRecords))
	for i, rec := range body.DNCGroupRecords {
		out[i] = sentRecord{PhoneNumber: string(rec.PhoneNumber), Number: true, ExpiredDate: rec.ExpiredDate}
		if len(rec.PhoneNumber) > 0 && rec.PhoneNumber[0] == '"' {
			out[i].Number = false
			if err := json.Unmarshal(rec.PhoneNumber, &out[i].PhoneNumber); err != nil {
				t.Errorf("phoneNumber %s: %v", rec.PhoneNumber, err)
			}
		}
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// kinds turns per-contact results into Kind names ("ok" for nil) for compact assertions.
func kinds(errs []error) []string {
	out := make([]string, len(errs))
	for i, err := range errs {
		out[i] = "ok"
		if err != nil {
			out[i] = KindOf(err).String()
		}
	}
	return out
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// assertLogSafe fails if an error message carries a phone number or a secret.
func assertLogSafe(t *testing.T, errs ...error) {
	t.Helper()
	for _, err := range errs {
		if err == nil {
			continue
		}
		msg := err.Error()
		if destination.RedactNumbers(msg) != msg {
			t.Errorf("error message carries a number: %q", msg)
		}
		for _, s := range []string{fakeKeySecret, fakeClientSec} {
			if strings.Contains(msg, s) {
				t.Errorf("error message carries a secret: %q", msg)
			}
		}
	}
}

func asError(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%v (%T) is not an *Error", err, err)
	}
	return e
}
