package genesys

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/doctor"
	"github.com/dncsync/dncsync/internal/genesys/genesyssim"
	"github.com/dncsync/dncsync/internal/setting"
)

// Spec is the Genesys Cloud destination: an internal DNC list.
var Spec = destination.Spec{Name: Dest, Title: "Genesys Cloud", Bind: bind}

// Settings are the destination's settings (docs/destinations.md, docs/configuration.md).
type Settings struct {
	Region, LoginURL, APIURL string
	ClientID, ClientSecret   string
	ListID, LongExpiry       string
	RPM, MaxBatch            int
}

func bind(s *setting.Set) destination.Settings {
	c := &Settings{}
	const req = "with genesys in DNCSYNC_DESTINATIONS"
	s.String(&c.ClientID, "genesys-client-id", "GENESYS_CLIENT_ID", "", "Genesys Cloud OAuth client id (client credentials)").Require(req)
	s.Secret(&c.ClientSecret, "genesys-client-secret", "GENESYS_CLIENT_SECRET", "Genesys Cloud OAuth client secret").Require(req)
	s.String(&c.ListID, "genesys-dnc-list-id", "GENESYS_DNC_LIST_ID", "", "Genesys Cloud internal DNC list id").Require(req)
	s.String(&c.Region, "genesys-region", "GENESYS_REGION", DefaultRegion, "Genesys Cloud region: its domain (mypurecloud.com, mypurecloud.ie, ...) or AWS name (us-east-1, ...)")
	s.String(&c.LoginURL, "genesys-login-url", "GENESYS_LOGIN_URL", "", "Genesys Cloud login host; unset: https://login.{region domain}")
	s.String(&c.APIURL, "genesys-api-url", "GENESYS_API_URL", "", "Genesys Cloud API host; unset: https://api.{region domain}")
	s.String(&c.LongExpiry, "genesys-long-expiry", "GENESYS_LONG_EXPIRY", LongExpiryNone, "an expiry beyond the 180 days Genesys takes: none (sent without one) or clamp")
	s.Int(&c.RPM, "genesys-rate-limit-rpm", "GENESYS_RATE_LIMIT_RPM", DefaultRateLimitRPM, "ceiling of requests a minute to Genesys Cloud")
	s.Int(&c.MaxBatch, "genesys-max-batch", "GENESYS_MAX_BATCH", DefaultMaxBatch, "numbers per Genesys Cloud request")
	return c
}

func (c *Settings) config(d destination.Deps) Config {
	return Config{Region: c.Region, LoginURL: c.LoginURL, APIURL: c.APIURL, ClientID: c.ClientID,
		ClientSecret: c.ClientSecret, DNCListID: c.ListID, MaxBatch: c.MaxBatch, LongExpiry: c.LongExpiry,
		Pacer: d.Pacer, HTTP: d.HTTP}
}

// Validate names the variable to set for each problem.
func (c *Settings) Validate() error {
	var errs []error
	for _, f := range [][2]string{{"GENESYS_CLIENT_ID", c.ClientID}, {"GENESYS_CLIENT_SECRET", c.ClientSecret},
		{"GENESYS_DNC_LIST_ID", c.ListID}} {
		if strings.TrimSpace(f[1]) == "" {
			errs = append(errs, fmt.Errorf("%s is required with genesys in DNCSYNC_DESTINATIONS", f[0]))
		}
	}
	if _, _, err := c.config(destination.Deps{}).hosts(); err != nil {
		errs = append(errs, errors.New(message(err)))
	}
	for _, f := range [][2]string{{"GENESYS_LOGIN_URL", c.LoginURL}, {"GENESYS_API_URL", c.APIURL}} {
		if f[1] != "" && !destination.SecureURL(f[1]) {
			errs = append(errs, fmt.Errorf("%s=%q must start with https:// (http:// only for a loopback host)", f[0], f[1]))
		}
	}
	if c.MaxBatch < 1 {
		errs = append(errs, fmt.Errorf("GENESYS_MAX_BATCH=%d must be at least 1", c.MaxBatch))
	}
	if c.LongExpiry != LongExpiryNone && c.LongExpiry != LongExpiryClamp {
		errs = append(errs, fmt.Errorf("GENESYS_LONG_EXPIRY=%q must be %s or %s", c.LongExpiry, LongExpiryNone, LongExpiryClamp))
	}
	if c.RPM < 1 {
		errs = append(errs, fmt.Errorf("GENESYS_RATE_LIMIT_RPM=%d must be at least 1", c.RPM))
	}
	return errors.Join(errs...)
}

// message is a configuration error's text without its "genesys config: config:" frame.
func message(err error) string {
	var de *destination.Error
	if errors.As(err, &de) && de.Msg != "" {
		return de.Msg
	}
	return err.Error()
}

// Pace is GENESYS_RATE_LIMIT_RPM and GENESYS_MAX_BATCH.
func (c *Settings) Pace() destination.Pace { return destination.Pace{RPM: c.RPM, MaxBatch: c.MaxBatch} }

// New builds the client.
func (c *Settings) New(d destination.Deps) (destination.Client, error) {
	cl := New(c.config(d))
	if d.Now != nil {
		cl.now = d.Now
	}
	return cl, nil
}

// Simulate starts the Genesys Cloud simulator (an organization on its login and API hosts) and
// points the settings at it.
func (c *Settings) Simulate(context.Context, destination.Deps) (string, func(), error) {
	g := genesyssim.New(genesyssim.Config{RatePerMinute: c.RPM})
	h, stop, err := g.ListenHosts("127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("start the Genesys Cloud simulator: %w", err)
	}
	gc := g.Config()
	c.LoginURL, c.APIURL = h.Login, h.API
	c.ClientID, c.ClientSecret, c.ListID = gc.ClientID, gc.ClientSecret, gc.DNCListID
	return fmt.Sprintf("Genesys Cloud simulated at %s (list %q)\n", h.API, gc.DNCListID), stop, nil
}

// Doctor logs in and checks the list (that it exists, is internal and is for phone calls) and the
// campaigns that check it. It changes nothing.
func (c *Settings) Doctor(ctx context.Context, d destination.Deps, r *doctor.Report) {
	k := New(c.config(d)).Checks(ctx)
	r.Detail("login %s, API %s, list %s", k.Endpoints.LoginURL, k.Endpoints.APIURL, k.Endpoints.DNCListID)
	r.Check("login", nil, func() string {
		if k.Login != nil {
			return k.Login.Error() + " (check GENESYS_CLIENT_ID, GENESYS_CLIENT_SECRET and GENESYS_REGION)"
		}
		return ""
	})
	r.Check("dnc list", []string{"login"}, func() string {
		if k.ListErr != nil {
			return k.ListErr.Error() + " (check GENESYS_DNC_LIST_ID and the role's outbound:dncList:view)"
		}
		r.Detail("list %q: type %s, contact method %s", k.List.Name, k.List.SourceType, k.List.ContactMethod)
		return strings.Join(k.Problems, "; ")
	})
	r.Check("campaigns", []string{"login"}, func() string {
		switch {
		case k.CampaignsErr != nil:
			return k.CampaignsErr.Error()
		case k.NoCampaign():
			r.Detail("WARNING: no outbound campaign checks list %s: numbers written to it are accepted and block no call",
				k.Endpoints.DNCListID)
			return "no outbound campaign checks DNC list " + k.Endpoints.DNCListID +
				", so it blocks no call; add it to the DNC lists of the campaigns that dial these people"
		}
		var names []string
		for _, cp := range k.Campaigns {
			names = append(names, fmt.Sprintf("%q (%s)", cp.Name, cp.Status))
		}
		r.Detail("campaigns that check the list: %s", strings.Join(names, ", "))
		return ""
	})
}

var (
	_ destination.Doctor    = (*Settings)(nil)
	_ destination.Simulator = (*Settings)(nil)
	_ destination.Lister    = (*Client)(nil)
)

// List calls fn with every number of the list's export (AllNumbers).
func (c *Client) List(ctx context.Context, fn func(destination.Listed) error) error {
	nums, err := c.AllNumbers(ctx)
	if err != nil {
		return err
	}
	for _, n := range nums {
		if err := fn(destination.Listed{Number: n}); err != nil {
			return err
		}
	}
	return nil
}
