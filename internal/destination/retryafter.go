package destination

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxRetryAfter caps a Retry-After: a pause longer than a lease would only make leases expire.
const MaxRetryAfter = 10 * time.Minute

// RetryAfter reads Retry-After as delta-seconds or an HTTP date (RFC 9110 section 10.2.3), capped
// at MaxRetryAfter; 0 when absent or unusable, which tells a Pacer to use its own back-off.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	return min(parseRetryAfter(h, now), MaxRetryAfter)
}

func parseRetryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
