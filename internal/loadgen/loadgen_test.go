package loadgen

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The lean client speaks HTTP/1.1 as net/http's server expects: every request arrives whole, with
// its token, and every answer is read, whatever its framing.
func TestRunAgainstAServer(t *testing.T) {
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.URL.Path != "/webhook/opt-out" || r.Header.Get("Authorization") != "Bearer tok" ||
			!strings.HasPrefix(string(b), "[{") || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		got.Add(1)
		switch got.Load() % 3 {
		case 0: // chunked
			w.Write([]byte(`{"status":`))
			w.(http.Flusher).Flush()
			w.Write([]byte(`"accepted"}`))
		case 1: // Content-Length
			w.Write([]byte(`{"status":"accepted"}`))
		default: // and then the connection closes
			w.Header().Set("Connection", "close")
			w.Write([]byte(`{}`))
		}
	}))
	defer srv.Close()
	res := Run(context.Background(), Config{URL: srv.URL, Token: "tok", Requests: 300, Concurrency: 4, Batch: 3, Mixed: true})
	if res.Requests != 300 || res.Events != 900 || res.Statuses[200] != 300 || res.Errors != 0 || got.Load() != 300 {
		t.Fatalf("%v (server saw %d)", res, got.Load())
	}
	timed := Run(context.Background(), Config{URL: srv.URL, Token: "tok", Concurrency: 2, Duration: 200 * time.Millisecond})
	if timed.Requests == 0 || timed.Errors != 0 || timed.Elapsed > time.Second {
		t.Fatalf("timed run: %v", timed)
	}
}
