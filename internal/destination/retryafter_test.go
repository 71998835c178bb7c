package destination

import (
	"net/http"
	"testing"
	"time"
)

func TestRetryAfterCapped(t *testing.T) {
	h := http.Header{"Retry-After": {"86400"}}
	if d := RetryAfter(h, time.Now()); d != MaxRetryAfter {
		t.Fatalf("Retry-After of a day gave %v, want the cap %v", d, MaxRetryAfter)
	}
	h.Set("Retry-After", time.Now().Add(90*time.Second).UTC().Format(http.TimeFormat))
	if d := RetryAfter(h, time.Now()); d < 88*time.Second || d > 90*time.Second {
		t.Fatalf("Retry-After as an HTTP date gave %v", d)
	}
}
