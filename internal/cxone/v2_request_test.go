package cxone

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type noPacer struct{}

func (noPacer) Wait(context.Context) error                                 { return nil }
func (noPacer) Throttled(_ context.Context, d time.Duration) time.Duration { return d }
func (noPacer) OK(context.Context)                                         {}

// A 400 for every number, however the batch is split, may be the request's fault (a retired API
// version, say): no number is blamed here (Refused: the pusher decides), and after
// destination.ProbeLimit numbers refused alone the rest of the batch is not sent (Config).
func TestV2WholeBatchRefused(t *testing.T) {
	requests := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/oauth/token") {
			w.Write([]byte(`{"access_token":"t","expires_in":3600}`))
			return
		}
		requests++
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"error":"unsupported X-CXone-Version"}`))
	}))
	defer srv.Close()
	v := NewV2(V2Config{BaseURL: srv.URL, ClientID: "a", ClientSecret: "b", ListID: "l", Pacer: noPacer{}})
	var in []Contact
	for i := range 8 {
		in = append(in, Contact{Number: fmt.Sprintf("+1415555000%d", i)})
	}
	got := kinds(v.Add(context.Background(), in))
	if want := []string{"refused", "refused", "refused", "config", "config", "config", "config", "config"}; !sameStrings(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if requests > 7 {
		t.Errorf("%d requests for a batch of 8 that CXone refuses whole", requests)
	}
	if errs := v.Add(context.Background(), []Contact{{Number: "+14155550001"}}); KindOf(errs[0]) != Refused {
		t.Fatalf("a single refused number: %v, want refused (never permanent from the wire)", errs[0])
	}
	if errs := v.Remove(context.Background(), in); !sameStrings(kinds(errs)[2:4], []string{"refused", "config"}) {
		t.Fatalf("removes refused one by one: %v, want the fourth and later not sent", kinds(errs))
	}
}
