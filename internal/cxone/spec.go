package cxone

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/cxone/cxonesim"
	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/phone"
	"github.com/dncsync/dncsync/internal/setting"
)

// Spec is the NICE CXone destination: the admin profile (a DNC group of the Admin API, real
// tenants) or the v2 profile (the tutorial's Outbound DNC API).
var Spec = destination.Spec{Name: "cxone", Title: "NICE CXone", Bind: bind}

// Settings are the destination's settings (docs/setup.md and docs/configuration.md).
type Settings struct {
	API                             string // CXONE_API: admin or v2
	BaseURL, ClientID, ClientSecret string
	ListID                          string
	AuthURL, Region, DiscoveryURL   string
	PhoneJSON, ClientAuth           string
	AccessKeyID, AccessSecret       string
	APIBase, APIVersion, GroupID    string
	ExpiresAfter                    time.Duration
	RateLimitRPM, BatchSize         int
	admin                           *Admin // the doctor's client, which the canary reuses
	_                               struct{}
}

func bind(s *setting.Set) destination.Settings {
	c := &Settings{}
	s.String(&c.API, "cxone-api", "CXONE_API", "", "CXone API profile: admin (real tenants) or v2 (the tutorial's Outbound DNC API)").
		Require("with cxone in DNCSYNC_DESTINATIONS")
	s.String(&c.AccessKeyID, "cxone-access-key-id", "CXONE_ACCESS_KEY_ID", "", "CXone access key id (admin)").Require("with CXONE_API=admin")
	s.Secret(&c.AccessSecret, "cxone-access-key-secret", "CXONE_ACCESS_KEY_SECRET", "CXone access key secret (admin)").Require("with CXONE_API=admin")
	s.String(&c.GroupID, "cxone-dnc-group-id", "CXONE_DNC_GROUP_ID", "", "CXone DNC group id (admin)").Require("with CXONE_API=admin")
	s.String(&c.Region, "cxone-region", "CXONE_REGION", DefaultRegion, "CXone login region (admin): na1, au1, eu1, ...")
	s.String(&c.AuthURL, "cxone-auth-url", "CXONE_AUTH_URL", "", "CXone access-key login host (admin); unset: https://{CXONE_REGION}.nice-incontact.com")
	s.String(&c.DiscoveryURL, "cxone-discovery-url", "CXONE_DISCOVERY_URL", DefaultDiscoveryURL, "CXone global host: tenant discovery and a registered application's token endpoint (admin)")
	s.String(&c.APIBase, "cxone-api-base", "CXONE_API_BASE", "", "CXone API host (admin); unset: discovered from the token's tenant")
	s.String(&c.APIVersion, "cxone-api-version", "CXONE_API_VERSION", DefaultAdminAPIVersion, "Admin API version in the path (admin)")
	s.String(&c.PhoneJSON, "cxone-phone-json", "CXONE_PHONE_JSON", PhoneJSONSpec, "JSON type of phoneNumber in DNC records (admin): spec (a number to add, a string to remove), number or string")
	s.String(&c.ClientAuth, "cxone-client-auth-method", "CXONE_CLIENT_AUTH_METHOD", ClientSecretBasic, "how a registered application authenticates (admin): client_secret_basic or client_secret_post")
	s.Duration(&c.ExpiresAfter, "dnc-expires-after", "DNCSYNC_DNC_EXPIRES_AFTER", 0, "expire DNC records this long after the push when an event has no expiresAt (admin); 0: never")
	s.String(&c.ClientID, "cxone-client-id", "CXONE_CLIENT_ID", "", "CXone OAuth client id (v2, or a registered application with admin)").Require("with CXONE_API=v2")
	s.Secret(&c.ClientSecret, "cxone-client-secret", "CXONE_CLIENT_SECRET", "CXone OAuth client secret (v2, or a registered application with admin)").Require("with CXONE_API=v2")
	s.String(&c.BaseURL, "cxone-base-url", "CXONE_BASE_URL", "", "CXone base URL (v2)").Require("with CXONE_API=v2")
	s.String(&c.ListID, "cxone-dnc-list-id", "CXONE_DNC_LIST_ID", "", "CXone do-not-call list id (v2)").Require("with CXONE_API=v2")
	s.Int(&c.RateLimitRPM, "rate-limit-rpm", "CXONE_RATE_LIMIT_RPM", 100, "ceiling of requests a minute to CXone for the organization, shared by every replica on one Redis; the pace adapts under it")
	s.Int(&c.BatchSize, "batch-size", "DNCSYNC_BATCH_SIZE", 50, "numbers per CXone request")
	return c
}

// region is the form of a login region: na1, au1, eu1, ...
var region = regexp.MustCompile(`^[a-z]{2,3}[0-9]{1,2}$`)

// Validate checks the profile's settings, naming the variable to set for each problem.
func (c *Settings) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	required := func(profile string, vars ...[2]string) {
		for _, v := range vars {
			if v[1] == "" {
				add("%s is required with CXONE_API=%s", v[0], profile)
			}
		}
	}
	secure := func(vars ...[2]string) {
		for _, v := range vars {
			if v[1] != "" && !destination.SecureURL(v[1]) {
				add("%s=%q must start with https:// (http:// only for a loopback host)", v[0], v[1])
			}
		}
	}
	switch c.API {
	case "v2":
		required("v2", [2]string{"CXONE_BASE_URL", c.BaseURL}, [2]string{"CXONE_CLIENT_ID", c.ClientID},
			[2]string{"CXONE_CLIENT_SECRET", c.ClientSecret}, [2]string{"CXONE_DNC_LIST_ID", c.ListID})
		secure([2]string{"CXONE_BASE_URL", c.BaseURL})
	case "admin":
		required("admin", [2]string{"CXONE_ACCESS_KEY_ID", c.AccessKeyID}, [2]string{"CXONE_ACCESS_KEY_SECRET", c.AccessSecret},
			[2]string{"CXONE_DNC_GROUP_ID", c.GroupID})
		if (c.ClientID == "") != (c.ClientSecret == "") {
			add("set both CXONE_CLIENT_ID and CXONE_CLIENT_SECRET (a registered application) or neither (access key only)")
		}
		secure([2]string{"CXONE_AUTH_URL", c.AuthURL}, [2]string{"CXONE_API_BASE", c.APIBase},
			[2]string{"CXONE_DISCOVERY_URL", c.DiscoveryURL})
		if c.DiscoveryURL == "" {
			add("CXONE_DISCOVERY_URL must not be empty (default %s)", DefaultDiscoveryURL)
		}
		if c.AuthURL == "" && !region.MatchString(strings.ToLower(strings.TrimSpace(c.Region))) {
			add("CXONE_REGION=%q is not a CXone region such as na1, au1 or eu1; or set CXONE_AUTH_URL", c.Region)
		}
		switch c.PhoneJSON {
		case PhoneJSONSpec, PhoneJSONNumber, PhoneJSONString:
		default:
			add("CXONE_PHONE_JSON=%q must be spec, number or string", c.PhoneJSON)
		}
		switch c.ClientAuth {
		case ClientSecretBasic, ClientSecretPost:
		default:
			add("CXONE_CLIENT_AUTH_METHOD=%q must be client_secret_basic or client_secret_post", c.ClientAuth)
		}
		if c.ExpiresAfter < 0 {
			add("DNCSYNC_DNC_EXPIRES_AFTER must not be negative")
		}
	case "":
		add("CXONE_API is required: admin (the CXone Admin API of real tenants) or v2 (the tutorial's Outbound DNC API)")
	default:
		add("CXONE_API=%q is not a profile; set admin or v2", c.API)
	}
	if c.RateLimitRPM < 1 {
		add("CXONE_RATE_LIMIT_RPM=%d must be at least 1", c.RateLimitRPM)
	}
	if c.BatchSize < 1 || c.BatchSize > 1000 {
		add("DNCSYNC_BATCH_SIZE=%d must be between 1 and 1000 (CXone takes 50)", c.BatchSize)
	}
	return errors.Join(errs...)
}

// Pace is CXONE_RATE_LIMIT_RPM and DNCSYNC_BATCH_SIZE.
func (c *Settings) Pace() destination.Pace {
	return destination.Pace{RPM: c.RateLimitRPM, MaxBatch: c.BatchSize}
}

// New builds the client of the configured profile.
func (c *Settings) New(d destination.Deps) (destination.Client, error) {
	switch c.API {
	case "admin":
		return c.newAdmin(d), nil
	case "v2":
		return c.newV2(d), nil
	}
	return nil, fmt.Errorf("CXONE_API=%q is not a profile; set admin or v2", c.API)
}

func (c *Settings) newV2(d destination.Deps) *V2 {
	return NewV2(V2Config{BaseURL: c.BaseURL, ClientID: c.ClientID, ClientSecret: c.ClientSecret, ListID: c.ListID,
		Pacer: d.Pacer, HTTP: d.HTTP})
}

func (c *Settings) newAdmin(d destination.Deps) *Admin {
	auth := c.AuthURL
	if auth == "" {
		auth = RegionAuthURL(c.Region)
	}
	a := NewAdmin(AdminConfig{AuthURL: auth, DiscoveryURL: c.DiscoveryURL, AccessKeyID: c.AccessKeyID,
		AccessKeySecret: c.AccessSecret, ClientID: c.ClientID, ClientSecret: c.ClientSecret, ClientAuthMethod: c.ClientAuth,
		APIBase: c.APIBase, APIVersion: c.APIVersion, GroupID: c.GroupID, PhoneJSON: c.PhoneJSON,
		ExpiresAfter: c.ExpiresAfter, Pacer: d.Pacer, HTTP: d.HTTP, Logger: d.Log})
	if d.Now != nil {
		a.now = d.Now
	}
	return a
}

// Simulate starts the CXone simulator on loopback (a tenant on its three hosts) and points the
// settings at it: the profile CXONE_API names, admin when unset.
func (c *Settings) Simulate(_ context.Context, d destination.Deps) (string, func(), error) {
	sim := cxonesim.New(cxonesim.Config{ClientID: "demo", ClientSecret: "demo-secret", ListID: "demo-list",
		AccessKeyID: "demo-key", AccessKeySecret: "demo-key-secret", DNCGroupID: "demo-list", RatePerMinute: c.RateLimitRPM})
	hosts, stop, err := sim.ListenHosts("127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("start the CXone simulator: %w", err)
	}
	if c.API == "" {
		c.API = "admin"
	}
	if c.API == "v2" {
		c.BaseURL, c.ClientID, c.ClientSecret, c.ListID = hosts.API, "demo", "demo-secret", "demo-list"
	} else {
		c.AuthURL, c.DiscoveryURL = hosts.Login, hosts.Discovery
		c.AccessKeyID, c.AccessSecret, c.GroupID = "demo-key", "demo-key-secret", "demo-list"
		c.ClientID, c.ClientSecret, c.APIBase = "", "", "" // discovered from the token, as on a real tenant
	}
	if d.Log != nil {
		sim.OnChange(func(ch cxonesim.Change) {
			d.Log.Info("CXone simulator list changed", "op", ch.Op, "number", phone.Mask(ch.Number), "list_size", sim.Len())
		})
	}
	about := fmt.Sprintf("NICE CXone (%s profile) simulated at %s (list %q); the simulated list: curl -s %s/sim/list\n",
		c.API, hosts.API, "demo-list", hosts.API)
	if c.API == "admin" {
		about += fmt.Sprintf(`Check the simulated tenant as you would a real one:
  CXONE_API=admin CXONE_AUTH_URL=%s CXONE_DISCOVERY_URL=%s \
  CXONE_ACCESS_KEY_ID=demo-key CXONE_ACCESS_KEY_SECRET=demo-key-secret CXONE_DNC_GROUP_ID=demo-list \
  go run ./cmd/dncsync doctor --canary +14155550123
`, hosts.Login, hosts.Discovery)
	}
	return about, stop, nil
}

// The optional capabilities of the clients: the admin profile reads and searches its group; the
// v2 profile registers event subscriptions. What a profile lacks answers ErrUnsupported.
var (
	_ destination.Lister     = (*Admin)(nil)
	_ destination.Checker    = (*Admin)(nil)
	_ destination.Subscriber = (*Admin)(nil)
	_ destination.Lister     = (*V2)(nil)
	_ destination.Checker    = (*V2)(nil)
	_ destination.Subscriber = (*V2)(nil)
)

// List calls fn with every number of the group's active records (AllNumbers).
func (a *Admin) List(ctx context.Context, fn func(destination.Listed) error) error {
	nums, err := a.AllNumbers(ctx)
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

// Check searches the DNC groups for number: listed when one holds it unexpired.
func (a *Admin) Check(ctx context.Context, number string) (destination.Listing, error) {
	res, err := a.Search(ctx, number)
	if err != nil {
		return destination.Listing{}, err
	}
	l := destination.Listing{Text: number + " is not on a DNC group", Detail: res}
	now := a.now()
	for _, r := range res {
		if r.Active(now) {
			l.Listed = true
		}
	}
	if l.Listed {
		l.Text = fmt.Sprintf("%s is on %d DNC group(s)", number, len(res))
	}
	return l, nil
}

// Subscribe: event subscriptions are the v2 profile's.
func (a *Admin) Subscribe(context.Context, string, string) (string, error) {
	return "", fmt.Errorf("%w: event subscriptions exist only in the v2 profile (CXONE_API=v2); on a real tenant, send opt-outs from Studio (see docs/setup.md)",
		destination.ErrUnsupported)
}

// List: the v2 profile's list cannot be read whole.
func (v *V2) List(context.Context, func(destination.Listed) error) error {
	return fmt.Errorf("%w: reconcile reads the DNC group, which exists in the admin profile (CXONE_API=admin)", destination.ErrUnsupported)
}

// Check: the v2 profile has no search.
func (v *V2) Check(context.Context, string) (destination.Listing, error) {
	return destination.Listing{}, fmt.Errorf("%w: check searches DNC groups, which exist in the admin profile (CXONE_API=admin)",
		destination.ErrUnsupported)
}

// Settings' capabilities.
var (
	_ destination.Doctor    = (*Settings)(nil)
	_ destination.Canary    = (*Settings)(nil)
	_ destination.Simulator = (*Settings)(nil)
)
