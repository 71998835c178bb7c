package destination

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":      0,
		"3":     3 * time.Second,
		" 3 ":   3 * time.Second,
		"-1":    0,
		"soon":  0,
		"86400": MaxRetryAfter,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Minute).Format(http.TimeFormat):     0,
	} {
		if got := RetryAfter(http.Header{"Retry-After": {v}}, now); got != want {
			t.Errorf("Retry-After %q: %v, want %v", v, got, want)
		}
	}
}

func TestShortText(t *testing.T) {
	got := ShortText("Value [+1 (415) 555-2671] is\n not valid; ref 2026 " + strings.Repeat("x", 200))
	if strings.Contains(got, "2671") || strings.Contains(got, "555") || !strings.Contains(got, "#") || len(got) > 123 || strings.Contains(got, "\n") {
		t.Fatalf("ShortText = %q", got)
	}
	if !strings.Contains(got, "ref 2026") {
		t.Fatalf("a short run of digits was redacted: %q", got)
	}
}
