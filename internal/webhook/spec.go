package webhook

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/doctor"
	"github.com/dncsync/dncsync/internal/setting"
	"github.com/dncsync/dncsync/internal/stdwebhook"
	"github.com/dncsync/dncsync/internal/webhook/webhooksim"
)

// Spec is the signed webhook destination: a receiver of one's own.
var Spec = destination.Spec{Name: Dest, Title: "a signed webhook", Bind: bind}

// Settings are the destination's settings (docs/destinations.md, docs/configuration.md).
type Settings struct {
	URL, Secret   string
	AllowHTTP     bool
	MaxBatch, RPM int
	Timeout       time.Duration
}

func bind(s *setting.Set) destination.Settings {
	c := &Settings{}
	const req = "with webhook in DNCSYNC_DESTINATIONS"
	s.String(&c.URL, "webhook-dest-url", "DNCSYNC_WEBHOOK_DEST_URL", "", "URL the webhook destination POSTs each batch to").Require(req)
	s.Secret(&c.Secret, "webhook-dest-secret", "DNCSYNC_WEBHOOK_DEST_SECRET", "Standard Webhooks secret (whsec_...) the webhook destination signs with").Require(req)
	s.Bool(&c.AllowHTTP, "webhook-dest-allow-http", "DNCSYNC_WEBHOOK_DEST_ALLOW_HTTP", false, "allow plain http to a non-loopback webhook destination")
	s.Int(&c.MaxBatch, "webhook-dest-max-batch", "DNCSYNC_WEBHOOK_DEST_MAX_BATCH", DefaultMaxBatch, "numbers per webhook destination request")
	s.Int(&c.RPM, "webhook-dest-rate-limit-rpm", "DNCSYNC_WEBHOOK_DEST_RATE_LIMIT_RPM", DefaultRateLimitRPM, "ceiling of requests a minute to the webhook destination")
	s.Duration(&c.Timeout, "webhook-dest-timeout", "DNCSYNC_WEBHOOK_DEST_TIMEOUT", DefaultTimeout, "bound of one webhook destination request")
	return c
}

func (c *Settings) config(d destination.Deps) Config {
	return Config{URL: c.URL, Secret: c.Secret, AllowHTTP: c.AllowHTTP, MaxBatch: c.MaxBatch, Timeout: c.Timeout,
		Pacer: d.Pacer, HTTP: d.HTTP}
}

// Validate names the variable to set for each problem.
func (c *Settings) Validate() error {
	var errs []error
	if _, err := checkURL(c.URL, c.AllowHTTP); err != nil {
		errs = append(errs, errors.New(message(err)))
	}
	if _, err := stdwebhook.ParseSigningSecrets(c.Secret); err != nil {
		errs = append(errs, fmt.Errorf("DNCSYNC_WEBHOOK_DEST_SECRET: %w", err))
	}
	if c.MaxBatch < 1 {
		errs = append(errs, fmt.Errorf("DNCSYNC_WEBHOOK_DEST_MAX_BATCH=%d must be at least 1", c.MaxBatch))
	}
	if c.RPM < 1 {
		errs = append(errs, fmt.Errorf("DNCSYNC_WEBHOOK_DEST_RATE_LIMIT_RPM=%d must be at least 1", c.RPM))
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("DNCSYNC_WEBHOOK_DEST_TIMEOUT=%v must be positive", c.Timeout))
	}
	return errors.Join(errs...)
}

// message is a configuration error's text without its "webhook config: config:" frame.
func message(err error) string {
	var de *destination.Error
	if errors.As(err, &de) && de.Msg != "" {
		return de.Msg
	}
	return err.Error()
}

// Pace is DNCSYNC_WEBHOOK_DEST_RATE_LIMIT_RPM and DNCSYNC_WEBHOOK_DEST_MAX_BATCH.
func (c *Settings) Pace() destination.Pace { return destination.Pace{RPM: c.RPM, MaxBatch: c.MaxBatch} }

// New builds the client.
func (c *Settings) New(d destination.Deps) (destination.Client, error) {
	cl, err := New(c.config(d))
	if err != nil {
		return nil, err
	}
	if d.Now != nil {
		cl.now = d.Now
	}
	return cl, nil
}

// Simulate starts a receiver on loopback that verifies the signatures, and points the settings at
// it.
func (c *Settings) Simulate(context.Context, destination.Deps) (string, func(), error) {
	sim := webhooksim.New(webhooksim.Config{})
	u, stop := sim.Start()
	c.URL, c.Secret = u, webhooksim.DefaultSecret
	return fmt.Sprintf("a webhook receiver simulated at %s\n", u), stop, nil
}

// Doctor asks the receiver to answer a signed ping.
func (c *Settings) Doctor(ctx context.Context, d destination.Deps, r *doctor.Report) {
	r.Check("receiver", nil, func() string {
		cl, err := New(c.config(d))
		if err != nil {
			return message(err)
		}
		r.Detail("receiver: %s", cl.url)
		if err := cl.Ping(ctx); err != nil {
			return err.Error() + " (check DNCSYNC_WEBHOOK_DEST_URL and that the receiver verifies DNCSYNC_WEBHOOK_DEST_SECRET)"
		}
		return ""
	})
}

var (
	_ destination.Doctor    = (*Settings)(nil)
	_ destination.Simulator = (*Settings)(nil)
)
