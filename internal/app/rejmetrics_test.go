package app

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/boltq"
)

// TestRejectionMetrics: the rejection rate and the shedding the alert rules watch, read through the
// Prometheus collector from the store's counters.
func TestRejectionMetrics(t *testing.T) {
	var used atomic.Uint64
	used.Store(50)
	s, err := boltq.Open(filepath.Join(t.TempDir(), "q.db"), boltq.Options{Rejections: queue.RejectionLimits{Cap: 2},
		Usage: func() (uint64, uint64, error) { return used.Load(), 100, nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	junk := func(i int) queue.Rejection {
		return queue.Rejection{Raw: fmt.Sprint(10 + i), Body: fmt.Sprintf(`{"phoneNumber":"%d"}`, 10+i), Reason: "too_short",
			EventID: fmt.Sprintf("e%d", i), ReceivedAt: time.Now()}
	}
	// 3 recorded (one shed past the cap of 2), 1 duplicate, then 1 not written past 90% of the limit.
	for _, r := range []queue.Rejection{junk(1), junk(2), junk(3), junk(3)} {
		if err := s.Reject(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	used.Store(95)
	if err := s.Reject(ctx, junk(4)); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP dncsync_rejections_cap Most rejections kept (DNCSYNC_REJECTION_CAP).
# TYPE dncsync_rejections_cap gauge
dncsync_rejections_cap 2
# HELP dncsync_rejections_duplicates_total Rejections not recorded because the same one (event id, text, key) is kept.
# TYPE dncsync_rejections_duplicates_total counter
dncsync_rejections_duplicates_total 1
# HELP dncsync_rejections_kept Rejections held in the store.
# TYPE dncsync_rejections_kept gauge
dncsync_rejections_kept 2
# HELP dncsync_rejections_recorded_total Rejected input recorded as evidence (any replica, any intake: webhooks and imports).
# TYPE dncsync_rejections_recorded_total counter
dncsync_rejections_recorded_total 3
# HELP dncsync_rejections_shed_total Rejections dropped by reason: cap (the oldest, past DNCSYNC_REJECTION_CAP) or headroom (not written: the store was past DNCSYNC_REJECTION_MAX_FILL of its limit).
# TYPE dncsync_rejections_shed_total counter
dncsync_rejections_shed_total{reason="cap"} 1
dncsync_rejections_shed_total{reason="headroom"} 1
# HELP dncsync_store_fill_ratio Share of its limit the store uses (Redis: used_memory of maxmemory; embedded: its filesystem); absent when it has none.
# TYPE dncsync_store_fill_ratio gauge
dncsync_store_fill_ratio 0.95
`
	if err := testutil.CollectAndCompare(newRejectionCollector(s), strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
}
