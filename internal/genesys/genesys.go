// Package genesys puts numbers on and takes them off an internal DNC list of Genesys Cloud, as a
// destination.Client, from its public Platform API:
//
//   - login: the OAuth client-credentials grant at the region's login host, POST
//     https://login.{domain}/oauth/token, the client in HTTP Basic (auth.go);
//   - writes: PATCH https://api.{domain}/api/v2/outbound/dnclists/{dncListId}/phonenumbers with
//     {"action":"Add"|"Remove","phoneNumbers":[...],"expirationDateTime":"yyyy-MM-ddTHH:mmZ"},
//     which answers 204 for the whole request (write.go);
//   - reconcile: the list's export, POST then GET .../export and the CSV behind its download link
//     (export.go);
//   - a setup check: GET .../dnclists/{dncListId} (checks.go).
//
// Every API request goes through the Pacer, which holds the OAuth client's rate limit (300
// requests a minute unless the organization raised it) and pauses everything on a 429. Numbers
// and secrets never appear in errors: the vendor's messages quote numbers, and are redacted.
//
// The official Go SDK (MyPureCloud/platform-client-sdk-go) covers the whole Platform API in some
// two thousand generated files and retries on its own; four endpoints do not justify it, and the
// pusher must see every 429 itself. Its code is where the wire details below come from.
package genesys

import (
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
)

// Dest names this destination in errors and logs.
const Dest = "genesys"

// Defaults, each defined once.
const (
	// DefaultRateLimitRPM is the requests a minute one OAuth client may make: the Platform API's
	// client.credentials.token.rate.per.minute, 300 by default (developer.genesys.cloud
	// organization/organization/limits, as quoted in the Genesys developer community's "API
	// limits" thread). The pusher's pacer holds it (GENESYS_RATE_LIMIT_RPM).
	DefaultRateLimitRPM = 300
	// DefaultMaxBatch is the most numbers one PATCH carries. Genesys Cloud publishes no limit for
	// this request; 1000 is what public client code chunks these lists by, and a refusal of a
	// batch for its size makes the client halve it and remember the smaller size.
	DefaultMaxBatch = 1000
	// DefaultTimeout bounds one request.
	DefaultTimeout = 15 * time.Second
	// DefaultExportTimeout bounds how long AllNumbers waits for an export to be ready.
	DefaultExportTimeout = 5 * time.Minute
	// DefaultExportPoll is the pause between looks at an export in progress.
	DefaultExportPoll = 2 * time.Second
)

// How an expiry beyond what the API accepts (MaxExpiry ahead) is sent (GENESYS_LONG_EXPIRY).
const (
	// LongExpiryNone sends the number without an expiry: it stays blocked until dncsync removes
	// it. An opt-out is never shortened (the default).
	LongExpiryNone = "none"
	// LongExpiryClamp sends the furthest expiry the API accepts: the number becomes callable again
	// then, before the opt-out's own end, unless something adds it again.
	LongExpiryClamp = "clamp"
)

// Config configures a client. The comments name the settings proposed for each field.
type Config struct {
	// Region is the organization's region (GENESYS_REGION): its domain ("mypurecloud.com",
	// "usw2.pure.cloud", "mypurecloud.ie") or its AWS name ("us-east-1", "us-west-2",
	// "eu-west-1"). Default DefaultRegion. It names both hosts unless LoginURL or APIURL do.
	Region string
	// LoginURL and APIURL override the hosts (GENESYS_LOGIN_URL, GENESYS_API_URL), e.g. for the
	// simulator or a gateway.
	LoginURL, APIURL string
	// ClientID and ClientSecret are the OAuth client, of the client-credentials grant
	// (GENESYS_CLIENT_ID, GENESYS_CLIENT_SECRET). Its role needs the permissions
	// outbound:dnc:edit (writes), outbound:dncList:view (checks) and outbound:dnc:view (exports).
	ClientID, ClientSecret string
	// DNCListID is the internal DNC list (GENESYS_DNC_LIST_ID).
	DNCListID string
	// MaxBatch is the most numbers one request carries (GENESYS_MAX_BATCH); 0: DefaultMaxBatch.
	MaxBatch int
	// LongExpiry is LongExpiryNone (default) or LongExpiryClamp (GENESYS_LONG_EXPIRY).
	LongExpiry string
	// Pacer gates every API request; required.
	Pacer destination.Pacer
	// HTTP sends the requests; default a client without its own timeout.
	HTTP *http.Client
	// Timeout bounds one request; 0: DefaultTimeout.
	Timeout time.Duration
	// ExportTimeout and ExportPoll pace AllNumbers' wait for an export; 0: the defaults.
	ExportTimeout, ExportPoll time.Duration
}

// Client is a Genesys Cloud internal DNC list.
type Client struct {
	cfg      Config
	login    string // login host, without a trailing slash
	api      string // API host, without a trailing slash
	hostErr  error  // an unusable Region
	c        caller
	now      func() time.Time
	maxBatch atomic.Int64 // DefaultMaxBatch or MaxBatch, lowered when the API refuses a size
}

var _ destination.Client = (*Client)(nil)

// New returns a client. Nothing is sent until the first call; Config.Validate reports a
// configuration that cannot work.
func New(cfg Config) *Client {
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.ExportTimeout <= 0 {
		cfg.ExportTimeout = DefaultExportTimeout
	}
	if cfg.ExportPoll <= 0 {
		cfg.ExportPoll = DefaultExportPoll
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = DefaultMaxBatch
	}
	if cfg.LongExpiry == "" {
		cfg.LongExpiry = LongExpiryNone
	}
	cfg.DNCListID = strings.TrimSpace(cfg.DNCListID)
	c := &Client{cfg: cfg, now: time.Now}
	c.login, c.api, c.hostErr = cfg.hosts()
	c.maxBatch.Store(int64(cfg.MaxBatch))
	c.c = newCaller(cfg.HTTP, cfg.Pacer, cfg.Timeout, destination.NewTokenCache(c.fetchToken), func() time.Time { return c.now() })
	return c
}

// Validate reports a configuration that cannot work, naming the setting to change. It sends
// nothing.
func (cfg Config) Validate() error {
	var missing []string
	for _, f := range []struct{ v, name string }{{cfg.ClientID, "GENESYS_CLIENT_ID"},
		{cfg.ClientSecret, "GENESYS_CLIENT_SECRET"}, {cfg.DNCListID, "GENESYS_DNC_LIST_ID"}} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return &destination.Error{Kind: destination.Config, Dest: Dest, Op: "config", Msg: "set " + strings.Join(missing, ", ")}
	}
	if _, _, err := cfg.hosts(); err != nil {
		return err
	}
	if cfg.MaxBatch < 0 {
		return &destination.Error{Kind: destination.Config, Dest: Dest, Op: "config", Msg: "GENESYS_MAX_BATCH must be positive"}
	}
	if cfg.LongExpiry != "" && cfg.LongExpiry != LongExpiryNone && cfg.LongExpiry != LongExpiryClamp {
		return &destination.Error{Kind: destination.Config, Dest: Dest, Op: "config",
			Msg: "GENESYS_LONG_EXPIRY must be " + LongExpiryNone + " or " + LongExpiryClamp}
	}
	if cfg.Pacer == nil {
		return &destination.Error{Kind: destination.Config, Dest: Dest, Op: "config", Msg: "no pacer (a wiring bug)"}
	}
	return nil
}

// Endpoints are the hosts and list the client works with, for people checking a setup; never a
// secret.
type Endpoints struct {
	LoginURL, APIURL, ClientID, DNCListID string
	MaxBatch                              int
	LongExpiry                            string
}

// Endpoints reports the configuration the client runs with.
func (c *Client) Endpoints() Endpoints {
	return Endpoints{LoginURL: c.login, APIURL: c.api, ClientID: c.cfg.ClientID, DNCListID: c.cfg.DNCListID,
		MaxBatch: int(c.maxBatch.Load()), LongExpiry: c.cfg.LongExpiry}
}

// configError is a deployment's fault, naming what to check.
func configError(op string, status int, msg string) *destination.Error {
	return &destination.Error{Kind: destination.Config, Dest: Dest, Op: op, Status: status, Msg: msg}
}
