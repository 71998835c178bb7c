package app

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/boltq"
)

type fakePacing struct {
	rpm   float64
	until time.Time
}

func (f fakePacing) CurrentRPM() float64    { return f.rpm }
func (f fakePacing) PausedUntil() time.Time { return f.until }

// TestOpsMetrics: the metrics the alert rules watch, read through the Prometheus collector.
func TestOpsMetrics(t *testing.T) {
	s, err := boltq.Open(filepath.Join(t.TempDir(), "q.db"), boltq.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC) // a Monday
	c := newOpsCollector(s, fakePacing{rpm: 100, until: now.Add(90 * time.Second)})
	c.now = func() time.Time { return now }

	want := `
# HELP dncsync_last_push_timestamp_seconds Unix time of the destination's last confirmation of a push (any replica); 0: never.
# TYPE dncsync_last_push_timestamp_seconds gauge
dncsync_last_push_timestamp_seconds 0
# HELP dncsync_pacing_pause_seconds Seconds left of the current 429 pause; 0: none.
# TYPE dncsync_pacing_pause_seconds gauge
dncsync_pacing_pause_seconds 90
# HELP dncsync_pacing_paused 1 while requests to the destination are paused after a 429, else 0.
# TYPE dncsync_pacing_paused gauge
dncsync_pacing_paused 1
# HELP dncsync_pacing_rpm Requests a minute the pusher sends to the destination now.
# TYPE dncsync_pacing_rpm gauge
dncsync_pacing_rpm 100
# HELP dncsync_queue_oldest_business_days Business days (Monday to Friday but US federal holidays, UTC dates) since the oldest request the destination has not yet confirmed; the deadline is 10.
# TYPE dncsync_queue_oldest_business_days gauge
dncsync_queue_oldest_business_days 0
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}

	// A request received the Monday before last is 4 business days old (Thanksgiving does not
	// count), due on Tuesday 8 December; one confirmation sets the last push.
	old := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	evs := []queue.Event{{Number: "+14155552671", Action: queue.Add, OccurredAt: old, ReceivedAt: old},
		{Number: "+14155552672", Action: queue.Add, OccurredAt: old, ReceivedAt: old.Add(time.Hour)}}
	if _, err := s.Enqueue(ctx, evs); err != nil {
		t.Fatal(err)
	}
	items, _ := s.Claim(ctx, 1, time.Minute)
	if err := s.Ack(ctx, items); err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(onlyMetric(c, "dncsync_queue_oldest_business_days")); got != 4 {
		t.Fatalf("business days %v, want 4 (Monday 23 to Monday 30 November, over Thanksgiving)", got)
	}
	due := time.Date(2026, 12, 8, 23, 59, 59, 0, time.UTC)
	if got := testutil.ToFloat64(onlyMetric(c, "dncsync_queue_oldest_due_timestamp_seconds")); got != float64(due.Unix()) {
		t.Fatalf("due %v, want %v (%v)", got, due.Unix(), due)
	}
	if got := testutil.ToFloat64(onlyMetric(c, "dncsync_last_push_timestamp_seconds")); got < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Fatalf("last push timestamp %v, want about now", got)
	}
}

// onlyMetric narrows a collector to one metric name, for testutil.ToFloat64.
func onlyMetric(c *opsCollector, name string) *filtered { return &filtered{c: c, name: name} }

type filtered struct {
	c    *opsCollector
	name string
}

func (f *filtered) Describe(ch chan<- *prometheus.Desc) { f.c.Describe(ch) }

func (f *filtered) Collect(ch chan<- prometheus.Metric) {
	all := make(chan prometheus.Metric, 16)
	go func() { f.c.Collect(all); close(all) }()
	for m := range all {
		if strings.Contains(m.Desc().String(), `"`+f.name+`"`) {
			ch <- m
		}
	}
}
