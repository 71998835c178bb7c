package five9

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/doctor"
	"github.com/dncsync/dncsync/internal/five9/five9sim"
	"github.com/dncsync/dncsync/internal/five9/window"
	"github.com/dncsync/dncsync/internal/setting"
)

// Spec is the Five9 destination: the domain's DNC list.
var Spec = destination.Spec{Name: Dest, Title: "Five9", Bind: bind}

// Settings are the destination's settings (docs/destinations.md, docs/configuration.md).
type Settings struct {
	URL, User, Password string
	MaxBatch, RPM       int
	Timeout             time.Duration
	ClockURL            string
}

func bind(s *setting.Set) destination.Settings {
	c := &Settings{}
	const req = "with five9 in DNCSYNC_DESTINATIONS"
	s.String(&c.User, "five9-user", "FIVE9_USER", "", "Five9 domain administrator's user name (Basic auth of the Configuration Web Services)").Require(req)
	s.Secret(&c.Password, "five9-password", "FIVE9_PASSWORD", "Five9 administrator's password").Require(req)
	s.String(&c.URL, "five9-url", "FIVE9_URL", DefaultURL, "Five9 Configuration Web Services (AdminWebService) URL of the domain's data center")
	s.Int(&c.MaxBatch, "five9-max-batch", "FIVE9_MAX_BATCH", DefaultMaxBatch, "numbers per Five9 request")
	s.Int(&c.RPM, "five9-rate-limit-rpm", "FIVE9_RATE_LIMIT_RPM", DefaultRateLimitRPM, "ceiling of requests a minute to Five9")
	s.Duration(&c.Timeout, "five9-timeout", "FIVE9_TIMEOUT", DefaultTimeout, "bound of one Five9 request")
	s.String(&c.ClockURL, "five9-clock-url", "FIVE9_CLOCK_URL", "", "demos and tests only: read the time of Five9's window from this five9sim clock (a loopback URL) instead of this host's")
	return c
}

// Validate names the variable to set for each problem.
func (c *Settings) Validate() error {
	var errs []error
	for _, f := range [][2]string{{"FIVE9_USER", c.User}, {"FIVE9_PASSWORD", c.Password}} {
		if strings.TrimSpace(f[1]) == "" {
			errs = append(errs, fmt.Errorf("%s is required with five9 in DNCSYNC_DESTINATIONS", f[0]))
		}
	}
	if u, err := url.Parse(c.URL); err != nil || u.Host == "" || !destination.SecureURL(c.URL) {
		errs = append(errs, fmt.Errorf("FIVE9_URL=%q must be an https URL (http:// only for a loopback host), like %s", c.URL, DefaultURL))
	}
	if c.MaxBatch < 1 || c.MaxBatch > MaxCheck {
		errs = append(errs, fmt.Errorf("FIVE9_MAX_BATCH=%d must be 1 to %d", c.MaxBatch, MaxCheck))
	}
	if c.RPM < 1 {
		errs = append(errs, fmt.Errorf("FIVE9_RATE_LIMIT_RPM=%d must be at least 1", c.RPM))
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("FIVE9_TIMEOUT=%v must be positive", c.Timeout))
	}
	if c.ClockURL != "" && (!strings.HasPrefix(c.ClockURL, "http://") || !destination.SecureURL(c.ClockURL)) {
		errs = append(errs, fmt.Errorf("FIVE9_CLOCK_URL=%q: a simulator's clock on loopback (http://127.0.0.1:.../sim/clock); unset it in production", c.ClockURL))
	}
	return errors.Join(errs...)
}

// Pace is FIVE9_RATE_LIMIT_RPM and FIVE9_MAX_BATCH.
func (c *Settings) Pace() destination.Pace { return destination.Pace{RPM: c.RPM, MaxBatch: c.MaxBatch} }

func (c *Settings) config(d destination.Deps) Config {
	cfg := Config{URL: c.URL, User: c.User, Password: c.Password, MaxBatch: c.MaxBatch, Timeout: c.Timeout,
		Pacer: d.Pacer, HTTP: d.HTTP}
	if c.ClockURL != "" {
		cfg.Clock = simClock(c.ClockURL)
	}
	return cfg
}

// simClock reads a five9sim's clock (GET /sim/clock); the wall's when it cannot.
func simClock(u string) func() time.Time {
	hc := &http.Client{Timeout: 2 * time.Second}
	return func() time.Time {
		resp, err := hc.Get(u)
		if err != nil {
			return time.Now()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 100))
		t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(b)))
		if err != nil {
			return time.Now()
		}
		return t
	}
}

// New builds the client.
func (c *Settings) New(d destination.Deps) (destination.Client, error) {
	return New(c.config(d)), nil
}

// Simulate starts the Five9 simulator and points the settings at it. Its clock starts a minute
// before the window for additions opens (22:59 PT), read by the client too (FIVE9_CLOCK_URL), so
// that the demo shows the queue waiting for the window, then reaching Five9.
func (c *Settings) Simulate(context.Context, destination.Deps) (string, func(), error) {
	sim := five9sim.New(five9sim.Config{RatePerMinute: c.RPM})
	p := time.Now().In(window.Pacific)
	sim.SetNow(time.Date(p.Year(), p.Month(), p.Day(), window.Opens-1, 59, 0, 0, window.Pacific))
	u, base, stop := sim.Start()
	sc := sim.Config()
	c.URL, c.User, c.Password, c.ClockURL = u, sc.User, sc.Password, base+"/sim/clock"
	return fmt.Sprintf("Five9 simulated at %s (its clock starts at 22:59 PT: additions wait a minute for the window; %s/sim/list)\n",
		u, base), stop, nil
}

// Doctor checks the login, then that the user may use the DNC list (a read-only check of one
// fictional number), and says whether the window for additions is open. It changes nothing.
func (c *Settings) Doctor(ctx context.Context, d destination.Deps, r *doctor.Report) {
	cl := New(c.config(d))
	r.Detail("Five9 %s as %s", c.URL, c.User)
	r.Check("login", nil, func() string {
		if err := cl.Login(ctx); err != nil {
			return err.Error()
		}
		return ""
	})
	r.Check("dnc permission", []string{"login"}, func() string {
		if _, err := cl.call(ctx, "check", opCheck, []string{"5555550100"}); err != nil {
			return err.Error() + " (the user needs the DNC permissions of the Configuration Web Services)"
		}
		return ""
	})
	if open, at := cl.Window(time.Now()); open {
		r.Detail("additions: the window (23:00 to 06:00 PT) is open now")
	} else {
		r.Detail("additions: outside the window (23:00 to 06:00 PT); they wait until %s (%s)", destination.Opens(at),
			at.UTC().Format(time.RFC3339))
	}
}

var (
	_ destination.Doctor    = (*Settings)(nil)
	_ destination.Simulator = (*Settings)(nil)
)
