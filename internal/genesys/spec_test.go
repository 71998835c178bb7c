package genesys_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/destination/destinationtest"
	"github.com/dncsync/dncsync/internal/doctor"
	"github.com/dncsync/dncsync/internal/genesys"
	"github.com/dncsync/dncsync/internal/setting"
)

// The plug-in as the registry uses it: its settings name what is missing (without the error
// frame: "genesys config: config:"), the simulator fills them in, and the client it builds passes
// the doctor and lists its numbers.
func TestSpecFromSettingsToDoctor(t *testing.T) {
	s := setting.New("").Group(genesys.Spec.Group())
	cfg := genesys.Spec.Bind(s)
	err := cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), "GENESYS_CLIENT_ID is required") || strings.Contains(err.Error(), "config:") {
		t.Fatalf("unset: %v", err)
	}
	if err := s.Lookup("GENESYS_REGION").Set("moon"); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err == nil || !strings.HasPrefix(strings.Split(err.Error(), "\n")[3], "GENESYS_REGION is neither") {
		t.Fatalf("bad region: %v", err)
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
	c, err := cfg.New(d)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	r := doctor.New(&out)
	cfg.(destination.Doctor).Doctor(ctx, d, r)
	if !r.Summary() {
		t.Fatalf("doctor on the simulator:\n%s", out.String())
	}
	n := 0
	if err := c.(destination.Lister).List(ctx, func(destination.Listed) error { n++; return nil }); err != nil || n != 0 {
		t.Fatalf("list of an empty list: %d %v", n, err)
	}
}
