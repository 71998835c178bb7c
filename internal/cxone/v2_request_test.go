package cxone

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type noPacer struct{}

func (noPacer) Wait(context.Context) error              { return nil }
func (noPacer) Throttled(d time.Duration) time.Duration { return d }
func (noPacer) OK()                                     {}

// A 400 for every number, however the batch is split, is the request's fault (a retired API
// version, say): the numbers must wait as a Config failure, not be dead-lettered.
func TestV2WholeBatchRefusedIsConfig(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/oauth/token") {
			w.Write([]byte(`{"access_token":"t","expires_in":3600}`))
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"error":"unsupported X-CXone-Version"}`))
	}))
	defer srv.Close()
	v := NewV2(V2Config{BaseURL: srv.URL, ClientID: "a", ClientSecret: "b", ListID: "l", Pacer: noPacer{}})
	errs := v.Add(context.Background(), []Contact{{Number: "+14155550001"}, {Number: "+14155550002"}, {Number: "+14155550003"}})
	for _, err := range errs {
		if KindOf(err) != Config {
			t.Fatalf("got %v, want a config failure", err)
		}
	}
	if errs := v.Add(context.Background(), []Contact{{Number: "+14155550001"}}); KindOf(errs[0]) != Permanent {
		t.Fatalf("a single refused number: %v, want permanent", errs[0])
	}
}

func TestRetryAfterCapped(t *testing.T) {
	h := http.Header{"Retry-After": {"86400"}}
	if d := retryAfter(h, time.Now()); d != maxRetryAfter {
		t.Fatalf("Retry-After of a day gave %v, want the cap %v", d, maxRetryAfter)
	}
	h.Set("Retry-After", time.Now().Add(90*time.Second).UTC().Format(http.TimeFormat))
	if d := retryAfter(h, time.Now()); d < 88*time.Second || d > 90*time.Second {
		t.Fatalf("Retry-After as an HTTP date gave %v", d)
	}
}
