package cxone

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// AdminConfig configures the admin profile (the real CXone Admin API's DNC groups).
//
// A tenant is reached through three hosts, as the public sources show them:
//   - the access-key login, on a regional host: https://{na1|au1|eu1|...}.nice-incontact.com
//     /authentication/v1/token/access-key (singer-io/tap-nice-incontact
//     tap_nice_incontact/client.py, API_AUTH_URI with auth_domain "na1"; outboundani/cxone-mcp
//     src/cxone.js tries na1.nice-incontact.com first);
//   - the global host https://cxone.niceincontact.com: tenant discovery
//     (/.well-known/cxone-configuration?tenantId=) and, for a registered application, the OpenID
//     configuration that names the token endpoint (calljacob/nice-cxone-api
//     src/services/auth/AuthenticationGlobalauthenticationService.ts, whose issuer is that host;
//     outboundani/cxone-mcp src/cxone.js discoverApiBase; Cognigy/Extensions
//     extensions/cxone/src/api/cxone-api-client.ts);
//   - the tenant's API host, which discovery names (api_endpoint) or CXONE_API_BASE sets.
type AdminConfig struct {
	AuthURL         string // CXONE_AUTH_URL (or derived from CXONE_REGION); default DefaultAuthURL
	DiscoveryURL    string // CXONE_DISCOVERY_URL; default DefaultDiscoveryURL
	AccessKeyID     string // CXONE_ACCESS_KEY_ID
	AccessKeySecret string // CXONE_ACCESS_KEY_SECRET
	// ClientID and ClientSecret (CXONE_CLIENT_ID, CXONE_CLIENT_SECRET) are optional: set both to
	// log in as a registered application (password grant at the discovered token endpoint).
	ClientID, ClientSecret string
	// ClientAuthMethod is how the registered application authenticates at the token endpoint
	// (CXONE_CLIENT_AUTH_METHOD): ClientSecretBasic (default) or ClientSecretPost.
	ClientAuthMethod string
	APIBase          string        // CXONE_API_BASE; empty: discovered from the token's tenant
	APIVersion       string        // CXONE_API_VERSION; default DefaultAdminAPIVersion
	GroupID          string        // CXONE_DNC_GROUP_ID
	PhoneJSON        string        // CXONE_PHONE_JSON: PhoneJSONSpec (default), PhoneJSONNumber or PhoneJSONString
	ExpiresAfter     time.Duration // DNCSYNC_DNC_EXPIRES_AFTER; 0: no expiry unless the contact has one
	Pacer            Pacer
	HTTP             *http.Client  // default: a client without its own timeout
	Timeout          time.Duration // per request; default 15 s
	Logger           *slog.Logger  // default: slog.Default()
}

// DefaultRegion is the login region when neither CXONE_AUTH_URL nor CXONE_REGION is set: the
// default of singer-io/tap-nice-incontact (API_AUTH_DOMAIN), and the first host
// outboundani/cxone-mcp tries. Login is global (any region issues tokens for any tenant, per
// cxone-mcp's comment on AUTH_HOSTS); the API host is regional and discovered.
const DefaultRegion = "na1"

// DefaultAuthURL is the access-key login host of DefaultRegion.
var DefaultAuthURL = RegionAuthURL(DefaultRegion)

// DefaultDiscoveryURL is CXone's global host, which serves tenant discovery and the OpenID
// configuration (the spec's issuer, calljacob/nice-cxone-api
// src/services/auth/AuthenticationGlobalauthenticationService.ts).
const DefaultDiscoveryURL = "https://cxone.niceincontact.com"

// RegionAuthURL is the access-key login host of a region such as na1, au1 or eu1
// (singer-io/tap-nice-incontact tap_nice_incontact/client.py, API_AUTH_URI).
func RegionAuthURL(region string) string {
	return "https://" + strings.ToLower(strings.TrimSpace(region)) + ".nice-incontact.com"
}

// DefaultAdminAPIVersion is the Admin API version used when CXONE_API_VERSION is unset. DNC-group
// calls appear publicly on v12.0 (NICE's own API tests, walterplaza/protractor
// src/apis/admin/calling-dnc-group-management/calling-dnc-group-management-v12.ts) and on v30.0
// (the live-tested outboundani/cxone-mcp src/cxone.js, ACD_VERSION, which also reads
// dnc-groups/{id}/scrubbed-skills); v33.0 is shown only for other resources (cxone-mcp uses it to
// create campaigns). v30.0 is the newest version the DNC-group calls are seen working on.
const DefaultAdminAPIVersion = "v30.0"

// Registered-application authentication at the token endpoint: both are methods an application
// may be registered with (calljacob/nice-cxone-api
// src/services/auth/AuthenticationIntegrationsService.ts, AUTHMETHOD). Basic is what the OpenID
// configuration lists and what Cognigy/Extensions extensions/cxone/src/api/cxone-api-client.ts
// sends; post puts client_id and client_secret in the form, as the spec's
// tokenAccessKeyRequest allows.
const (
	ClientSecretBasic = "client_secret_basic"
	ClientSecretPost  = "client_secret_post"
)

// How phoneNumber travels in records bodies (CXONE_PHONE_JSON).
const (
	// PhoneJSONSpec follows the published spec: a JSON number in POST, a string in DELETE
	// (calljacob/nice-cxone-api src/services/admin/AdminListsService.ts, createDncGroupRecords and
	// deleteDncGroupRecords).
	PhoneJSONSpec = "spec"
	// PhoneJSONNumber sends a number in both, as the live-tested outboundani/cxone-mcp
	// src/tools.js create_dnc_group does in POST.
	PhoneJSONNumber = "number"
	// PhoneJSONString sends a string in both, as NICE's own API tests did on v12.0
	// (walterplaza/protractor calling-dnc-group-management-v12.ts).
	PhoneJSONString = "string"
)

// Admin is the admin profile client.
type Admin struct {
	cfg       AdminConfig
	auth      string // AuthURL without a trailing slash
	discovery string // DiscoveryURL without a trailing slash
	c         caller
	now       func() time.Time

	tokenEndpoint *lazyValue // app mode: from the OpenID configuration
	apiBase       *lazyValue // from CXONE_API_BASE or the tenant's configuration
	tenant        atomic.Pointer[string]
	noOrderBy     atomic.Bool // the list call refused orderBy once: page without it

	unreadMu     sync.Mutex
	unreadShapes map[string]bool // expiredDate shapes not read, already logged
}

func (a *Admin) log() *slog.Logger {
	if a.cfg.Logger != nil {
		return a.cfg.Logger
	}
	return slog.Default()
}

var _ Client = (*Admin)(nil)

// NewAdmin returns an admin client. Nothing is sent until the first call.
func NewAdmin(cfg AdminConfig) *Admin {
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.AuthURL == "" {
		cfg.AuthURL = DefaultAuthURL
	}
	if cfg.DiscoveryURL == "" {
		cfg.DiscoveryURL = DefaultDiscoveryURL
	}
	if cfg.ClientAuthMethod == "" {
		cfg.ClientAuthMethod = ClientSecretBasic
	}
	if cfg.PhoneJSON == "" {
		cfg.PhoneJSON = PhoneJSONSpec
	}
	cfg.APIVersion = strings.TrimSpace(cfg.APIVersion)
	switch {
	case cfg.APIVersion == "":
		cfg.APIVersion = DefaultAdminAPIVersion
	case cfg.APIVersion[0] != 'v' && cfg.APIVersion[0] != 'V':
		cfg.APIVersion = "v" + cfg.APIVersion // "30.0" would otherwise be a 404 on every call
	}
	a := &Admin{cfg: cfg, auth: strings.TrimRight(cfg.AuthURL, "/"), discovery: strings.TrimRight(cfg.DiscoveryURL, "/"),
		now: time.Now, tokenEndpoint: newLazyValue(), apiBase: newLazyValue()}
	if base := configuredAPIBase(cfg.APIBase); base != "" {
		a.apiBase.set(base)
	}
	// Accept: application/json on every API call: CXone answers "No known way to render data"
	// without it (outboundani/cxone-mcp src/cxone.js).
	a.c = newCaller(cfg.HTTP, cfg.Pacer, cfg.Timeout, NewTokenCache(a.fetchToken), http.Header{"Accept": {"application/json"}})
	return a
}

// configuredAPIBase trims CXONE_API_BASE to the host part: operators often copy the resource base
// URI, which already ends in /inContactAPI, and the path would then be doubled.
func configuredAPIBase(s string) string {
	s = strings.TrimRight(strings.TrimSpace(s), "/")
	if i := len(s) - len("/inContactAPI"); i >= 0 && strings.EqualFold(s[i:], "/inContactAPI") {
		s = s[:i]
	}
	return s
}

// Login gets a token and the API host, so that readiness covers both.
func (a *Admin) Login(ctx context.Context) error {
	if err := a.Authenticate(ctx); err != nil {
		return err
	}
	_, err := a.Discover(ctx)
	return err
}

// Authenticate gets a token (or reuses the cached one), without discovering the API host.
func (a *Admin) Authenticate(ctx context.Context) error {
	_, err := a.c.Tokens().Get(ctx)
	return err
}

// Discovery is where the API host came from.
type Discovery struct {
	APIBase string // e.g. https://api-c42.nice-incontact.com
	Tenant  string // the tenantId claim it was discovered for; "" when CXONE_API_BASE was set
	Via     string // the discovery host, or "CXONE_API_BASE"
}

// Discover returns the API host, discovering it once (after logging in) unless CXONE_API_BASE
// named it.
func (a *Admin) Discover(ctx context.Context) (Discovery, error) {
	base, err := a.apiBase.get(ctx, "discover", a.discoverAPI)
	if err != nil {
		return Discovery{}, err
	}
	d := Discovery{APIBase: base, Via: "CXONE_API_BASE"}
	if t := a.tenant.Load(); t != nil {
		d.Tenant, d.Via = *t, a.discovery
	}
	return d, nil
}

// Endpoints are the configured login and discovery hosts and how the client logs in, for people
// checking a setup; never a secret.
type Endpoints struct {
	AuthURL, DiscoveryURL string
	App                   bool   // a registered application (password grant) rather than the access key alone
	ClientAuthMethod      string // for App
	APIVersion, GroupID   string
	PhoneJSON             string
}

// Endpoints reports the configuration the client runs with.
func (a *Admin) Endpoints() Endpoints {
	return Endpoints{AuthURL: a.auth, DiscoveryURL: a.discovery, App: a.cfg.ClientID != "",
		ClientAuthMethod: a.cfg.ClientAuthMethod, APIVersion: a.cfg.APIVersion, GroupID: a.cfg.GroupID,
		PhoneJSON: a.cfg.PhoneJSON}
}

// servicesURL is {api}/inContactAPI/services/{version}, discovering the API host when needed
// (the path as every source shows it, e.g. outboundani/cxone-mcp src/cxone.js api()).
func (a *Admin) servicesURL(ctx context.Context) (string, error) {
	base, err := a.apiBase.get(ctx, "discover", a.discoverAPI)
	if err != nil {
		return "", err
	}
	return base + "/inContactAPI/services/" + url.PathEscape(a.cfg.APIVersion), nil
}

// groupURL is the configured DNC group, e.g. {services}/dnc-groups/17.
func (a *Admin) groupURL(ctx context.Context, op string) (string, error) {
	if a.cfg.GroupID == "" {
		return "", &Error{Kind: Config, Op: op, Msg: "CXONE_DNC_GROUP_ID is not set"}
	}
	s, err := a.servicesURL(ctx)
	if err != nil {
		return "", err
	}
	return s + "/dnc-groups/" + url.PathEscape(a.cfg.GroupID), nil
}

// recordsURL is the configured DNC group's records collection.
func (a *Admin) recordsURL(ctx context.Context, op string) (string, error) {
	g, err := a.groupURL(ctx, op)
	if err != nil {
		return "", err
	}
	return g + "/records", nil
}

// flexString reads a JSON string or number as text: public clients of the real API send and
// receive phone numbers and ids as either.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = flexString(n.String())
	return nil
}

// numberKey reduces a number as CXone writes it (digits, "+1 (415) 555-2671", a JSON number) to
// the digits we send: NANP numbers as 10 digits. Country code 1 is NANP only, so an 11-digit
// string starting with 1 is always NANP.
func numberKey(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	d := b.String()
	if len(d) == 11 && d[0] == '1' {
		d = d[1:]
	}
	return d
}

// digitsToE164 turns CXone's digits back into E.164: 10 digits are NANP, anything else is taken
// as the full international number.
func digitsToE164(s string) string {
	d := numberKey(s)
	switch {
	case d == "":
		return ""
	case len(d) == 10:
		return "+1" + d
	}
	return "+" + d
}
