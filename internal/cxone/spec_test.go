package cxone_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/dncsync/dncsync/internal/cxone"
	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/destination/destinationtest"
	"github.com/dncsync/dncsync/internal/doctor"
	"github.com/dncsync/dncsync/internal/setting"
)

// The plug-in as the registry uses it: its settings name what is missing, the simulator fills
// them in, and the client it builds logs in and passes the doctor, for each profile.
func TestSpecFromSettingsToDoctor(t *testing.T) {
	for _, profile := range []string{"admin", "v2"} {
		t.Run(profile, func(t *testing.T) {
			s := setting.New("").Group(cxone.Spec.Group())
			cfg := cxone.Spec.Bind(s)
			if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "CXONE_API is required") {
				t.Fatalf("unset profile: %v", err)
			}
			if err := s.Lookup("CXONE_API").Set(profile); err != nil {
				t.Fatal(err)
			}
			if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "is required with CXONE_API="+profile) {
				t.Fatalf("missing credentials: %v", err)
			}
			ctx := context.Background()
			d := destination.Deps{Pacer: &destinationtest.Pacer{}}
			about, stop, err := cfg.(destination.Simulator).Simulate(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			if err := cfg.Validate(); err != nil || !strings.Contains(about, profile+" profile") {
				t.Fatalf("simulated: %v\n%s", err, about)
			}
			if p := cfg.Pace(); p.RPM != 100 || p.MaxBatch != 50 {
				t.Fatalf("pace %+v", p)
			}
			c, err := cfg.New(d)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Login(ctx); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			r := doctor.New(&out)
			cfg.(destination.Doctor).Doctor(ctx, d, r)
			if !r.Summary() || !r.Passed("login") {
				t.Fatalf("doctor on the simulator:\n%s", out.String())
			}
			// What a profile lacks says what to set.
			_, err = c.(destination.Checker).Check(ctx, "+14155552671")
			if profile == "v2" && (err == nil || !strings.Contains(err.Error(), "CXONE_API=admin")) {
				t.Fatalf("check on v2: %v", err)
			}
			if profile == "admin" && err != nil {
				t.Fatalf("check on admin: %v", err)
			}
		})
	}
}
