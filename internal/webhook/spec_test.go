package webhook_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/destination/destinationtest"
	"github.com/dncsync/dncsync/internal/doctor"
	"github.com/dncsync/dncsync/internal/setting"
	"github.com/dncsync/dncsync/internal/webhook"
)

// The plug-in as the registry uses it: its settings name what is missing, the simulated receiver
// fills them in, and the doctor's signed ping reaches it.
func TestSpecFromSettingsToDoctor(t *testing.T) {
	s := setting.New("").Group(webhook.Spec.Group())
	cfg := webhook.Spec.Bind(s)
	err := cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), "DNCSYNC_WEBHOOK_DEST_URL must be an absolute https URL") ||
		!strings.Contains(err.Error(), "DNCSYNC_WEBHOOK_DEST_SECRET") || strings.Contains(err.Error(), "config:") {
		t.Fatalf("unset: %v", err)
	}
	ctx := context.Background()
	d := destination.Deps{Pacer: &destinationtest.Pacer{}}
	_, stop, err := cfg.(destination.Simulator).Simulate(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.New(d); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	r := doctor.New(&out)
	cfg.(destination.Doctor).Doctor(ctx, d, r)
	if !r.Summary() || !r.Passed("receiver") {
		t.Fatalf("doctor on the simulated receiver:\n%s", out.String())
	}
}
