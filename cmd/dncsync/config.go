package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/cxone"
	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/genesys"
	"github.com/dncsync/dncsync/internal/intake"
	"github.com/dncsync/dncsync/internal/phone"
	"github.com/dncsync/dncsync/internal/pusher"
	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/webhook"
)

// config is every setting; each is an environment variable and a flag (README, Configuration).
type config struct {
	Port             int
	RedisURL         string
	RedisMinReplicas int
	DataDir          string
	CXoneAPI         string
	BaseURL          string
	ClientID         string
	ClientSecret     string
	ListID           string
	AuthURL          string
	Region           string
	DiscoveryURL     string
	PhoneJSON        string
	ClientAuth       string
	AccessKeyID      string
	AccessSecret     string
	APIBase          string
	APIVersion       string
	GroupID          string
	ExpiresAfter     time.Duration
	RateLimitRPM     int
	BatchSize        int
	BatchLinger      time.Duration
	DefaultRegion    string
	MaxAttempts      int
	MaxLostLeases    int
	RetryBackoff     time.Duration
	ConfigWait       time.Duration
	Lease            time.Duration
	EventIDTTL       time.Duration
	WebhookAuth      string
	WebhookSecret    string
	WebhookToken     string
	AdminToken       string
	TwilioToken      string
	PublicURL        string
	StopWords        string
	StartRemoves     bool
	MetricsToken     string
	UnsafeRedis      bool
	AuditKeep        time.Duration
	RejectionKeep    time.Duration
	RejectionCap     int
	RejectionFill    float64
	LogLevel         string
	LogFormat        string
	Shutdown         time.Duration
	PprofAddr        string

	Destinations string // DNCSYNC_DESTINATIONS, comma-separated; the first is the primary

	GenesysRegion, GenesysLoginURL, GenesysAPIURL string
	GenesysClientID, GenesysClientSecret          string
	GenesysListID, GenesysLongExpiry              string
	GenesysRPM, GenesysMaxBatch                   int

	WebhookDestURL, WebhookDestSecret string
	WebhookDestAllowHTTP              bool
	WebhookDestMaxBatch               int
	WebhookDestRPM                    int
	WebhookDestTimeout                time.Duration
}

// envFlags defines flags whose defaults come from the environment, and records parse errors of
// environment values so that they are reported with the variable's name.
type envFlags struct {
	fs   *flag.FlagSet
	errs []error
}

func (e *envFlags) str(p *string, name, env, def, usage string) {
	if v, ok := os.LookupEnv(env); ok {
		def = v
	}
	e.fs.StringVar(p, name, def, usage+" ($"+env+")")
}

// secret is a flag whose value never appears in usage text (a mistyped flag prints every default).
type secret struct{ p *string }

func (s secret) String() string {
	if s.p != nil && *s.p != "" {
		return "(set)"
	}
	return ""
}

func (s secret) Set(v string) error { *s.p = v; return nil }

func (e *envFlags) secret(p *string, name, env, usage string) {
	*p = os.Getenv(env)
	e.fs.Var(secret{p}, name, usage+" ($"+env+")")
}

func (e *envFlags) int(p *int, name, env string, def int, usage string) {
	if v, ok := os.LookupEnv(env); ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			e.errs = append(e.errs, fmt.Errorf("%s=%q is not a whole number", env, v))
		} else {
			def = n
		}
	}
	e.fs.IntVar(p, name, def, usage+" ($"+env+")")
}

func (e *envFlags) bool(p *bool, name, env string, def bool, usage string) {
	if v, ok := os.LookupEnv(env); ok {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			e.errs = append(e.errs, fmt.Errorf("%s=%q is not true or false", env, v))
		} else {
			def = b
		}
	}
	e.fs.BoolVar(p, name, def, usage+" ($"+env+")")
}

func (e *envFlags) float(p *float64, name, env string, def float64, usage string) {
	if v, ok := os.LookupEnv(env); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			e.errs = append(e.errs, fmt.Errorf("%s=%q is not a number such as 0.9", env, v))
		} else {
			def = f
		}
	}
	e.fs.Float64Var(p, name, def, usage+" ($"+env+")")
}

func (e *envFlags) dur(p *time.Duration, name, env string, def time.Duration, usage string) {
	if v, ok := os.LookupEnv(env); ok {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			e.errs = append(e.errs, fmt.Errorf("%s=%q is not a duration such as 250ms or 2m", env, v))
		} else {
			def = d
		}
	}
	e.fs.DurationVar(p, name, def, usage+" ($"+env+")")
}

// share is a proportion from 0 to 1, written as a fraction (0.1) or a percentage (10%).
type share float64

func parseShare(v string) (share, error) {
	v = strings.TrimSpace(v)
	scale := 1.0
	if p, ok := strings.CutSuffix(v, "%"); ok {
		v, scale = strings.TrimSpace(p), 100
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f/scale < 0 || f/scale > 1 {
		return 0, fmt.Errorf("%q is not a share from 0 to 1 (such as 0.1) or 0%% to 100%%", v)
	}
	return share(f / scale), nil
}

func (s share) String() string { return strconv.FormatFloat(float64(s)*100, 'g', -1, 64) + "%" }

func (s *share) Set(v string) error {
	f, err := parseShare(v)
	if err == nil {
		*s = f
	}
	return err
}

func (e *envFlags) share(p *share, name, env string, def share, usage string) {
	*p = def
	if v, ok := os.LookupEnv(env); ok {
		if f, err := parseShare(v); err != nil {
			e.errs = append(e.errs, fmt.Errorf("%s: %w", env, err))
		} else {
			*p = f
		}
	}
	e.fs.Var(p, name, usage+" ($"+env+")")
}

// bindConfig defines the flags of every setting on fs.
func bindConfig(fs *flag.FlagSet) (*config, *envFlags) {
	c := &config{}
	e := &envFlags{fs: fs}
	e.int(&c.Port, "port", "PORT", 3000, "HTTP listen port")
	e.secret(&c.RedisURL, "redis-url", "REDIS_URL", "Redis store URL: redis:// or rediss:// (one server), ?master_name= (Sentinel), ?cluster=true (Cluster); unset: the embedded store")
	e.int(&c.RedisMinReplicas, "redis-min-replicas", "DNCSYNC_REDIS_MIN_REPLICAS", 0, "Redis replicas that must hold an opt-out before it is acknowledged (WAIT); 0: the primary alone")
	e.str(&c.DataDir, "data-dir", "DNCSYNC_DATA_DIR", "./data", "directory of the embedded store")
	e.str(&c.CXoneAPI, "cxone-api", "CXONE_API", "", "CXone API profile: admin (real tenants) or v2")
	e.str(&c.BaseURL, "cxone-base-url", "CXONE_BASE_URL", "", "CXone base URL (v2)")
	e.str(&c.ClientID, "cxone-client-id", "CXONE_CLIENT_ID", "", "CXone OAuth client id (v2)")
	e.secret(&c.ClientSecret, "cxone-client-secret", "CXONE_CLIENT_SECRET", "CXone OAuth client secret (v2, or a registered application with admin)")
	e.str(&c.ListID, "cxone-dnc-list-id", "CXONE_DNC_LIST_ID", "", "CXone do-not-call list id (v2)")
	e.str(&c.AuthURL, "cxone-auth-url", "CXONE_AUTH_URL", "", "CXone access-key login host (admin); unset: https://{CXONE_REGION}.nice-incontact.com")
	e.str(&c.Region, "cxone-region", "CXONE_REGION", cxone.DefaultRegion, "CXone login region (admin): na1, au1, eu1, ...")
	e.str(&c.DiscoveryURL, "cxone-discovery-url", "CXONE_DISCOVERY_URL", cxone.DefaultDiscoveryURL, "CXone global host: tenant discovery and a registered application's token endpoint (admin)")
	e.str(&c.PhoneJSON, "cxone-phone-json", "CXONE_PHONE_JSON", cxone.PhoneJSONSpec, "JSON type of phoneNumber in DNC records (admin): spec (a number to add, a string to remove), number or string")
	e.str(&c.ClientAuth, "cxone-client-auth-method", "CXONE_CLIENT_AUTH_METHOD", cxone.ClientSecretBasic, "how a registered application authenticates (admin): client_secret_basic or client_secret_post")
	e.str(&c.AccessKeyID, "cxone-access-key-id", "CXONE_ACCESS_KEY_ID", "", "CXone access key id (admin)")
	e.secret(&c.AccessSecret, "cxone-access-key-secret", "CXONE_ACCESS_KEY_SECRET", "CXone access key secret (admin)")
	e.str(&c.APIBase, "cxone-api-base", "CXONE_API_BASE", "", "CXone API host (admin); unset: discovered from the token's tenant")
	e.str(&c.APIVersion, "cxone-api-version", "CXONE_API_VERSION", cxone.DefaultAdminAPIVersion, "Admin API version in the path (admin)")
	e.str(&c.GroupID, "cxone-dnc-group-id", "CXONE_DNC_GROUP_ID", "", "CXone DNC group id (admin)")
	e.dur(&c.ExpiresAfter, "dnc-expires-after", "DNCSYNC_DNC_EXPIRES_AFTER", 0, "expire DNC records this long after the push when an event has no expiresAt (admin); 0: never")
	e.int(&c.RateLimitRPM, "rate-limit-rpm", "CXONE_RATE_LIMIT_RPM", 100, "ceiling of requests a minute to CXone for the organization, shared by every replica on one Redis; the pace adapts under it")
	e.int(&c.BatchSize, "batch-size", "DNCSYNC_BATCH_SIZE", 50, "numbers per CXone request")
	e.dur(&c.BatchLinger, "batch-linger", "DNCSYNC_BATCH_LINGER", 250*time.Millisecond, "longest wait for a batch to fill")
	e.str(&c.DefaultRegion, "default-region", "DNCSYNC_DEFAULT_REGION", "US", "region for numbers written without +")
	e.int(&c.MaxAttempts, "max-attempts", "DNCSYNC_MAX_ATTEMPTS", 12, "failed pushes before an item is dead-lettered")
	e.int(&c.MaxLostLeases, "max-lost-leases", "DNCSYNC_MAX_LOST_LEASES", 5, "leases of a number lost to a pusher that died before it is dead-lettered")
	e.dur(&c.RetryBackoff, "retry-backoff", "DNCSYNC_RETRY_BACKOFF", 10*time.Second, "first retry delay of a failed push; doubles each attempt up to an hour")
	e.dur(&c.ConfigWait, "config-wait", "DNCSYNC_CONFIG_WAIT", pusher.DefaultConfigWait, "how long numbers wait, without spending attempts, after a failure that is the deployment's (credentials, list id, a refusal the destination did not explain) before they are tried again")
	e.dur(&c.Lease, "lease", "DNCSYNC_LEASE", 30*time.Second, "how long a claimed batch is held without a heartbeat: a batch whose pusher died is pushed again about this long after")
	e.dur(&c.EventIDTTL, "event-id-ttl", "DNCSYNC_EVENT_ID_TTL", 7*24*time.Hour, "how long event ids are remembered")
	e.str(&c.WebhookAuth, "webhook-auth", "DNCSYNC_WEBHOOK_AUTH", "", "sender authentication: standard, token or none")
	e.secret(&c.WebhookSecret, "webhook-secret", "DNCSYNC_WEBHOOK_SECRET", "Standard Webhooks secrets, whsec_..., space-separated")
	e.secret(&c.WebhookToken, "webhook-token", "DNCSYNC_WEBHOOK_TOKEN", "bearer token for DNCSYNC_WEBHOOK_AUTH=token")
	e.secret(&c.AdminToken, "admin-token", "DNCSYNC_ADMIN_TOKEN", "bearer token for the /v1 API")
	e.secret(&c.TwilioToken, "twilio-auth-token", "TWILIO_AUTH_TOKEN", "Twilio auth token; set: POST /webhook/twilio takes SMS replies")
	e.str(&c.PublicURL, "public-url", "DNCSYNC_PUBLIC_URL", "", "the URL senders call this service by (Twilio signs it), e.g. https://dncsync.example.com")
	e.str(&c.StopWords, "sms-stop-words", "DNCSYNC_SMS_STOP_WORDS", "", "opt-out keywords for SMS replies beyond the defaults, comma-separated (e.g. ARRET,ALTO)")
	e.bool(&c.StartRemoves, "sms-start-removes", "DNCSYNC_SMS_START_REMOVES", false, "an SMS START/YES/UNSTOP removes the number from the list (default: recorded only; consent to texts is not consent to calls)")
	e.secret(&c.MetricsToken, "metrics-token", "DNCSYNC_METRICS_TOKEN", "bearer token for GET /metrics; unset: /metrics is open")
	e.bool(&c.UnsafeRedis, "allow-unsafe-redis", "DNCSYNC_ALLOW_UNSAFE_REDIS", false, "start even when Redis would lose accepted opt-outs (eviction, no appendonly); only if you know why")
	e.dur(&c.AuditKeep, "audit-retention", "DNCSYNC_AUDIT_RETENTION", 5*365*24*time.Hour, "how long audit records are kept (a number's newest is always kept)")
	e.dur(&c.RejectionKeep, "rejection-retention", "DNCSYNC_REJECTION_RETENTION", queue.DefaultRejectionRetention, "how long rejected input is kept, with its audit record")
	e.int(&c.RejectionCap, "rejection-cap", "DNCSYNC_REJECTION_CAP", queue.DefaultRejectionCap, "most rejections kept; past it the oldest are shed (counted)")
	e.float(&c.RejectionFill, "rejection-max-fill", "DNCSYNC_REJECTION_MAX_FILL", queue.DefaultRejectionMaxFill, "share of the store's limit (Redis maxmemory; the embedded store's filesystem) past which rejections are counted, not written, leaving the rest to opt-outs")
	e.str(&c.LogLevel, "log-level", "DNCSYNC_LOG_LEVEL", "info", "debug, info, warn or error")
	e.str(&c.LogFormat, "log-format", "DNCSYNC_LOG_FORMAT", "json", "json or text")
	e.str(&c.PprofAddr, "pprof-addr", "DNCSYNC_PPROF_ADDR", "", "serve Go's pprof profiles on this address (e.g. localhost:6060); unset: off")
	e.dur(&c.Shutdown, "shutdown-timeout", "DNCSYNC_SHUTDOWN_TIMEOUT", 30*time.Second, "how long shutdown waits for in-flight work")

	e.str(&c.Destinations, "destinations", "DNCSYNC_DESTINATIONS", queue.DefaultDestination, "where every opt-out goes, comma-separated: cxone, genesys, webhook; the first is the primary")
	e.str(&c.GenesysRegion, "genesys-region", "GENESYS_REGION", genesys.DefaultRegion, "Genesys Cloud region: its domain (mypurecloud.com, mypurecloud.ie, ...) or AWS name (us-east-1, ...)")
	e.str(&c.GenesysLoginURL, "genesys-login-url", "GENESYS_LOGIN_URL", "", "Genesys Cloud login host; unset: https://login.{region domain}")
	e.str(&c.GenesysAPIURL, "genesys-api-url", "GENESYS_API_URL", "", "Genesys Cloud API host; unset: https://api.{region domain}")
	e.str(&c.GenesysClientID, "genesys-client-id", "GENESYS_CLIENT_ID", "", "Genesys Cloud OAuth client id (client credentials)")
	e.secret(&c.GenesysClientSecret, "genesys-client-secret", "GENESYS_CLIENT_SECRET", "Genesys Cloud OAuth client secret")
	e.str(&c.GenesysListID, "genesys-dnc-list-id", "GENESYS_DNC_LIST_ID", "", "Genesys Cloud internal DNC list id")
	e.str(&c.GenesysLongExpiry, "genesys-long-expiry", "GENESYS_LONG_EXPIRY", genesys.LongExpiryNone, "an expiry beyond the 180 days Genesys takes: none (sent without one) or clamp")
	e.int(&c.GenesysRPM, "genesys-rate-limit-rpm", "GENESYS_RATE_LIMIT_RPM", genesys.DefaultRateLimitRPM, "ceiling of requests a minute to Genesys Cloud")
	e.int(&c.GenesysMaxBatch, "genesys-max-batch", "GENESYS_MAX_BATCH", genesys.DefaultMaxBatch, "numbers per Genesys Cloud request")
	e.str(&c.WebhookDestURL, "webhook-dest-url", "DNCSYNC_WEBHOOK_DEST_URL", "", "URL the webhook destination POSTs each batch to")
	e.secret(&c.WebhookDestSecret, "webhook-dest-secret", "DNCSYNC_WEBHOOK_DEST_SECRET", "Standard Webhooks secret (whsec_...) the webhook destination signs with")
	e.bool(&c.WebhookDestAllowHTTP, "webhook-dest-allow-http", "DNCSYNC_WEBHOOK_DEST_ALLOW_HTTP", false, "allow plain http to a non-loopback webhook destination")
	e.int(&c.WebhookDestMaxBatch, "webhook-dest-max-batch", "DNCSYNC_WEBHOOK_DEST_MAX_BATCH", webhook.DefaultMaxBatch, "numbers per webhook destination request")
	e.int(&c.WebhookDestRPM, "webhook-dest-rate-limit-rpm", "DNCSYNC_WEBHOOK_DEST_RATE_LIMIT_RPM", webhook.DefaultRateLimitRPM, "ceiling of requests a minute to the webhook destination")
	e.dur(&c.WebhookDestTimeout, "webhook-dest-timeout", "DNCSYNC_WEBHOOK_DEST_TIMEOUT", webhook.DefaultTimeout, "bound of one webhook destination request")
	return c, e
}

// validate checks everything serve needs and names the variable to set for each problem.
func (c *config) validate(e *envFlags) error {
	errs := append([]error(nil), e.errs...)
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Port < 0 || c.Port > 65535 {
		add("PORT=%d is not a TCP port", c.Port)
	}
	dests := c.destinations()
	if err := queue.CheckDestinations(dests); err != nil {
		add("DNCSYNC_DESTINATIONS=%q: %v", c.Destinations, err)
	}
	for _, d := range dests {
		switch d {
		case destCXone, destGenesys, destWebhook:
		default:
			add("DNCSYNC_DESTINATIONS: %q is not a destination; use cxone, genesys or webhook", d)
		}
	}
	if slices.Contains(dests, destGenesys) {
		if err := c.genesysConfig(nil, nil).Validate(); err != nil {
			var de *destination.Error
			if errors.As(err, &de) {
				err = errors.New(de.Msg)
			}
			add("genesys destination: %v", err)
		}
		if c.GenesysRPM < 1 {
			add("GENESYS_RATE_LIMIT_RPM=%d must be at least 1", c.GenesysRPM)
		}
		for env, v := range map[string]string{"GENESYS_LOGIN_URL": c.GenesysLoginURL, "GENESYS_API_URL": c.GenesysAPIURL} {
			if v != "" && !secureURL(v) {
				add("%s=%q must start with https:// (http:// only for a loopback host)", env, v)
			}
		}
	}
	if slices.Contains(dests, destWebhook) {
		if _, err := webhook.New(c.webhookConfig(nil, nil)); err != nil {
			add("webhook destination: %v", err)
		}
		if c.WebhookDestRPM < 1 {
			add("DNCSYNC_WEBHOOK_DEST_RATE_LIMIT_RPM=%d must be at least 1", c.WebhookDestRPM)
		}
	}
	switch c.CXoneAPI {
	case "v2":
		for env, v := range map[string]string{"CXONE_BASE_URL": c.BaseURL, "CXONE_CLIENT_ID": c.ClientID,
			"CXONE_CLIENT_SECRET": c.ClientSecret, "CXONE_DNC_LIST_ID": c.ListID} {
			if v == "" {
				add("%s is required with CXONE_API=v2", env)
			}
		}
		if c.BaseURL != "" && !secureURL(c.BaseURL) {
			add("CXONE_BASE_URL=%q must start with https:// (http:// only for a loopback host)", c.BaseURL)
		}
	case "admin":
		for env, v := range map[string]string{"CXONE_ACCESS_KEY_ID": c.AccessKeyID,
			"CXONE_ACCESS_KEY_SECRET": c.AccessSecret, "CXONE_DNC_GROUP_ID": c.GroupID} {
			if v == "" {
				add("%s is required with CXONE_API=admin", env)
			}
		}
		if (c.ClientID == "") != (c.ClientSecret == "") {
			add("set both CXONE_CLIENT_ID and CXONE_CLIENT_SECRET (a registered application) or neither (access key only)")
		}
		for env, v := range map[string]string{"CXONE_AUTH_URL": c.AuthURL, "CXONE_API_BASE": c.APIBase,
			"CXONE_DISCOVERY_URL": c.DiscoveryURL} {
			if v != "" && !secureURL(v) {
				add("%s=%q must start with https:// (http:// only for a loopback host)", env, v)
			}
		}
		if c.DiscoveryURL == "" {
			add("CXONE_DISCOVERY_URL must not be empty (default %s)", cxone.DefaultDiscoveryURL)
		}
		if c.AuthURL == "" && !cxoneRegion.MatchString(strings.ToLower(strings.TrimSpace(c.Region))) {
			add("CXONE_REGION=%q is not a CXone region such as na1, au1 or eu1; or set CXONE_AUTH_URL", c.Region)
		}
		switch c.PhoneJSON {
		case cxone.PhoneJSONSpec, cxone.PhoneJSONNumber, cxone.PhoneJSONString:
		default:
			add("CXONE_PHONE_JSON=%q must be spec, number or string", c.PhoneJSON)
		}
		switch c.ClientAuth {
		case cxone.ClientSecretBasic, cxone.ClientSecretPost:
		default:
			add("CXONE_CLIENT_AUTH_METHOD=%q must be client_secret_basic or client_secret_post", c.ClientAuth)
		}
		if c.ExpiresAfter < 0 {
			add("DNCSYNC_DNC_EXPIRES_AFTER must not be negative")
		}
	case "":
		if slices.Contains(dests, destCXone) {
			add("CXONE_API is required: admin (the CXone Admin API of real tenants) or v2 (the tutorial's Outbound DNC API)")
		}
	default:
		add("CXONE_API=%q is not a profile; set admin or v2", c.CXoneAPI)
	}
	if c.RateLimitRPM < 1 {
		add("CXONE_RATE_LIMIT_RPM=%d must be at least 1", c.RateLimitRPM)
	}
	if c.BatchSize < 1 || c.BatchSize > 1000 {
		add("DNCSYNC_BATCH_SIZE=%d must be between 1 and 1000 (CXone takes 50)", c.BatchSize)
	}
	if c.BatchLinger < 0 {
		add("DNCSYNC_BATCH_LINGER must not be negative")
	}
	if !phone.ValidRegion(c.DefaultRegion) {
		add("DNCSYNC_DEFAULT_REGION=%q is not an ISO 3166-1 alpha-2 region libphonenumber knows (e.g. US, GB)", c.DefaultRegion)
	}
	if c.MaxAttempts < 1 {
		add("DNCSYNC_MAX_ATTEMPTS=%d must be at least 1", c.MaxAttempts)
	}
	if c.RedisMinReplicas < 0 {
		add("DNCSYNC_REDIS_MIN_REPLICAS=%d must not be negative", c.RedisMinReplicas)
	}
	if c.MaxLostLeases < 1 {
		add("DNCSYNC_MAX_LOST_LEASES=%d must be at least 1", c.MaxLostLeases)
	}
	if c.ConfigWait <= 0 {
		add("DNCSYNC_CONFIG_WAIT=%v must be positive (default %v)", c.ConfigWait, pusher.DefaultConfigWait)
	}
	if c.RetryBackoff <= 0 {
		add("DNCSYNC_RETRY_BACKOFF must be positive, e.g. 10s")
	}
	if c.TwilioToken != "" && !strings.HasPrefix(c.PublicURL, "https://") && !strings.HasPrefix(c.PublicURL, "http://") {
		add("DNCSYNC_PUBLIC_URL is required with TWILIO_AUTH_TOKEN: the public base URL Twilio calls, e.g. https://dncsync.example.com")
	}
	if c.EventIDTTL < time.Hour {
		add("DNCSYNC_EVENT_ID_TTL=%v must be at least 1h (senders retry for days; default 168h)", c.EventIDTTL)
	}
	if c.AuditKeep < 24*time.Hour {
		add("DNCSYNC_AUDIT_RETENTION=%v is shorter than a day; compliance asks for years (default 43800h)", c.AuditKeep)
	}
	if c.RejectionKeep < time.Hour {
		add("DNCSYNC_REJECTION_RETENTION=%v must be at least 1h (default 2160h, 90 days)", c.RejectionKeep)
	}
	if c.RejectionCap < 1 {
		add("DNCSYNC_REJECTION_CAP=%d must be at least 1 (default %d)", c.RejectionCap, queue.DefaultRejectionCap)
	}
	if c.RejectionFill <= 0 || c.RejectionFill > 1 {
		add("DNCSYNC_REJECTION_MAX_FILL=%v must be above 0 and at most 1 (default %v)", c.RejectionFill, queue.DefaultRejectionMaxFill)
	}
	if c.AdminToken != "" && len(c.AdminToken) < 16 {
		add("DNCSYNC_ADMIN_TOKEN must be at least 16 characters")
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		add("DNCSYNC_METRICS_TOKEN must be at least 16 characters")
	}
	// A secret pasted with a newline or a space is a different secret than the one senders use:
	// every request would fail in a way that is hard to see. Refuse it, naming the variable.
	for env, v := range map[string]string{"DNCSYNC_WEBHOOK_SECRET": c.WebhookSecret, "DNCSYNC_WEBHOOK_TOKEN": c.WebhookToken,
		"DNCSYNC_ADMIN_TOKEN": c.AdminToken, "DNCSYNC_METRICS_TOKEN": c.MetricsToken, "TWILIO_AUTH_TOKEN": c.TwilioToken,
		"CXONE_CLIENT_SECRET": c.ClientSecret, "CXONE_ACCESS_KEY_SECRET": c.AccessSecret, "REDIS_URL": c.RedisURL,
		"GENESYS_CLIENT_SECRET": c.GenesysClientSecret, "DNCSYNC_WEBHOOK_DEST_SECRET": c.WebhookDestSecret} {
		if v != strings.TrimSpace(v) {
			add("%s has spaces or line breaks around it; set it to the secret alone", env)
		}
	}
	if c.Lease < 10*time.Second {
		add("DNCSYNC_LEASE=%v must be at least 10s (a heartbeat extends it every third of it; default 30s)", c.Lease)
	}
	switch c.WebhookAuth {
	case "standard":
		if c.WebhookSecret == "" {
			add("DNCSYNC_WEBHOOK_SECRET is required with DNCSYNC_WEBHOOK_AUTH=standard")
		} else if _, err := intake.NewStandard(c.WebhookSecret); err != nil {
			add("%v", err)
		}
	case "token":
		if len(c.WebhookToken) < 16 {
			add("DNCSYNC_WEBHOOK_TOKEN must be set to a secret of at least 16 characters with DNCSYNC_WEBHOOK_AUTH=token")
		}
	case "none":
	case "":
		add("DNCSYNC_WEBHOOK_AUTH is required: standard (signed webhooks), token (bearer token) or none (no check, for trials)")
	default:
		add("DNCSYNC_WEBHOOK_AUTH=%q must be standard, token or none", c.WebhookAuth)
	}
	return errors.Join(errs...)
}

// rejectionLimits are the store's limits on rejected input (validate checked them).
func (c *config) rejectionLimits() queue.RejectionLimits {
	return queue.RejectionLimits{Cap: c.RejectionCap, MaxFill: c.RejectionFill}
}

// cxoneRegion is the form of a login region: na1, au1, eu1, ...
var cxoneRegion = regexp.MustCompile(`^[a-z]{2,3}[0-9]{1,2}$`)

// authURL is the access-key login host: CXONE_AUTH_URL, else the region's.
func (c *config) authURL() string {
	if c.AuthURL != "" {
		return c.AuthURL
	}
	return cxone.RegionAuthURL(c.Region)
}

// secureURL accepts https, and http only to a loopback host (the simulator, a local proxy): the
// credentials must not cross a network in clear.
func secureURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return false
	}
	if u.Scheme == "https" {
		return true
	}
	if u.Scheme != "http" {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// The destinations dncsync can push to (DNCSYNC_DESTINATIONS).
const (
	destCXone   = "cxone"
	destGenesys = "genesys"
	destWebhook = "webhook"
)

// destinations is DNCSYNC_DESTINATIONS as a list, the primary first.
func (c *config) destinations() []string {
	out := splitList(strings.ToLower(c.Destinations))
	if len(out) == 0 {
		return []string{queue.DefaultDestination}
	}
	return out
}

func (c *config) genesysConfig(pacer destination.Pacer, hc *http.Client) genesys.Config {
	if pacer == nil {
		pacer = noPacer{} // Validate only checks that one is wired
	}
	return genesys.Config{Region: c.GenesysRegion, LoginURL: c.GenesysLoginURL, APIURL: c.GenesysAPIURL,
		ClientID: c.GenesysClientID, ClientSecret: c.GenesysClientSecret, DNCListID: c.GenesysListID,
		MaxBatch: c.GenesysMaxBatch, LongExpiry: c.GenesysLongExpiry, Pacer: pacer, HTTP: hc}
}

func (c *config) webhookConfig(pacer destination.Pacer, hc *http.Client) webhook.Config {
	if pacer == nil {
		pacer = noPacer{}
	}
	return webhook.Config{URL: c.WebhookDestURL, Secret: c.WebhookDestSecret, AllowHTTP: c.WebhookDestAllowHTTP,
		MaxBatch: c.WebhookDestMaxBatch, Timeout: c.WebhookDestTimeout, Pacer: pacer, HTTP: hc}
}

// noPacer stands in for the pusher's pacer where a destination's settings are only checked.
type noPacer struct{}

func (noPacer) Wait(ctx context.Context) error          { return ctx.Err() }
func (noPacer) Throttled(d time.Duration) time.Duration { return d }
func (noPacer) OK()                                     {}
