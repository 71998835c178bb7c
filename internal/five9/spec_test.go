package five9_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/destination/destinationtest"
	"github.com/dncsync/dncsync/internal/doctor"
	"github.com/dncsync/dncsync/internal/five9"
	"github.com/dncsync/dncsync/internal/five9/five9sim"
	"github.com/dncsync/dncsync/internal/setting"
)

// The plug-in as the registry uses it: its settings name what is missing, the simulator fills
// them in (with its clock for the window), and the doctor's login and DNC checks pass on it.
func TestSpecFromSettingsToDoctor(t *testing.T) {
	s := setting.New("").Group(five9.Spec.Group())
	cfg := five9.Spec.Bind(s)
	err := cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), "FIVE9_USER is required") || !strings.Contains(err.Error(), "FIVE9_PASSWORD is required") {
		t.Fatalf("unset: %v", err)
	}
	ctx := context.Background()
	d := destination.Deps{Pacer: &destinationtest.Pacer{}}
	about, stop, err := cfg.(destination.Simulator).Simulate(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if err := cfg.Validate(); err != nil || !strings.Contains(about, "22:59 PT") {
		t.Fatalf("simulated: %v (%q)", err, about)
	}
	c, err := cfg.New(d)
	if err != nil {
		t.Fatal(err)
	}
	if open, at := c.(destination.Windowed).Window(time.Now()); open || destination.Opens(at) != "23:00 PT" {
		t.Fatalf("the demo's clock starts a minute before the window: open %v, opens %s", open, at)
	}
	var out bytes.Buffer
	r := doctor.New(&out)
	cfg.(destination.Doctor).Doctor(ctx, d, r)
	if !r.Summary() || !r.Passed("login") || !r.Passed("dnc permission") || !strings.Contains(out.String(), "wait until 23:00 PT") {
		t.Fatalf("doctor on the simulator:\n%s", out.String())
	}
}

// The doctor tells a user without the DNC permission from one whose login fails.
func TestDoctorNamesTheMissingPermission(t *testing.T) {
	sim := five9sim.New(five9sim.Config{DenyDNC: true})
	u, _, stop := sim.Start()
	defer stop()
	st := &five9.Settings{URL: u, User: sim.Config().User, Password: sim.Config().Password, MaxBatch: 10, RPM: 60,
		Timeout: five9.DefaultTimeout}
	if err := st.Validate(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	r := doctor.New(&out)
	st.Doctor(context.Background(), destination.Deps{Pacer: &destinationtest.Pacer{}}, r)
	if r.Summary() || !r.Passed("login") || r.Passed("dnc permission") || !strings.Contains(out.String(), "permission") {
		t.Fatalf("doctor of a user without DNC permission:\n%s", out.String())
	}
	st.Password = "wrong"
	out.Reset()
	r = doctor.New(&out)
	st.Doctor(context.Background(), destination.Deps{Pacer: &destinationtest.Pacer{}}, r)
	if r.Summary() || r.Passed("login") || !strings.Contains(out.String(), "FIVE9_PASSWORD") {
		t.Fatalf("doctor with a wrong password:\n%s", out.String())
	}
}

// FIVE9_CLOCK_URL is for a simulator on loopback only; FIVE9_URL must be https elsewhere.
func TestValidate(t *testing.T) {
	st := &five9.Settings{URL: "http://api.five9.com/wsadmin/v13/AdminWebService", User: "u", Password: "p", MaxBatch: 60000,
		RPM: 0, Timeout: five9.DefaultTimeout, ClockURL: "https://example.com/sim/clock"}
	err := st.Validate()
	for _, want := range []string{"FIVE9_URL", "FIVE9_MAX_BATCH", "FIVE9_RATE_LIMIT_RPM", "FIVE9_CLOCK_URL"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %s named: %v", want, err)
		}
	}
}
