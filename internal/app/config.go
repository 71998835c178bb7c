// Package app is the service's wiring: its configuration (the core's settings by component, and
// each destination's from the registry), the store, one lane per destination, the HTTP routes,
// readiness, metrics, and the run with its orderly shutdown.
package app

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/consent"
	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/intake"
	"github.com/dncsync/dncsync/internal/phone"
	"github.com/dncsync/dncsync/internal/pusher"
	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/setting"
)

// The groups of the core's settings: help and docs/configuration.md list them under these, in this
// order, then each destination's ("destination NAME").
const (
	GroupService      = "service"
	GroupIntake       = "intake"
	GroupStore        = "store"
	GroupPusher       = "pusher"
	GroupAdmin        = "admin"
	GroupDestinations = "destinations"
)

// Config is every setting of the service; each is an environment variable and a flag
// (docs/configuration.md).
type Config struct {
	// service
	Port         int
	PublicURL    string
	MetricsToken string
	LogLevel     string
	LogFormat    string
	Shutdown     time.Duration
	PprofAddr    string
	// intake
	WebhookAuth, WebhookSecret, WebhookToken string
	DefaultRegion                            string
	TwilioToken, StopWords                   string
	StartRemoves                             bool
	RevokeAll                                string
	// store
	DatabaseURL      string
	RedisURL         string
	RedisMinReplicas int
	DataDir          string
	UnsafeRedis      bool
	EventIDTTL       time.Duration
	AuditKeep        time.Duration
	RejectionKeep    time.Duration
	RejectionCap     int
	RejectionFill    float64
	// pusher
	BatchLinger   time.Duration
	MaxAttempts   int
	MaxLostLeases int
	RetryBackoff  time.Duration
	ConfigWait    time.Duration
	Lease         time.Duration
	// admin API and status page
	AdminToken string
	ReadToken  string
	// DestinationList is DNCSYNC_DESTINATIONS, comma-separated; the first is the primary.
	DestinationList string

	// Set holds the declarations, for flags and help.
	Set   *setting.Set
	dests map[string]destination.Settings
	// scopes are the destinations' scope filters as set (NAME_SCOPE; Config.Lanes reads them).
	scopes map[string]*string
}

// Bind declares every setting of the service on s, the core's by component and each registered
// destination's under "destination NAME", and returns the config they fill.
func Bind(s *setting.Set) *Config {
	c := &Config{Set: s, dests: map[string]destination.Settings{}, scopes: map[string]*string{}}
	g := s.Group(GroupService).Heading("Service")
	g.Int(&c.Port, "port", "PORT", 3000, "HTTP listen port")
	g.String(&c.PublicURL, "public-url", "DNCSYNC_PUBLIC_URL", "", "the URL senders call this service by (Twilio signs it), e.g. https://dncsync.example.com").
		Require("with TWILIO_AUTH_TOKEN")
	g.Secret(&c.MetricsToken, "metrics-token", "DNCSYNC_METRICS_TOKEN", "bearer token for GET /metrics (16+ characters); unset: /metrics is open")
	g.String(&c.LogLevel, "log-level", "DNCSYNC_LOG_LEVEL", "info", "debug, info, warn or error")
	g.String(&c.LogFormat, "log-format", "DNCSYNC_LOG_FORMAT", "json", "json or text (the demo's default is text)")
	g.Duration(&c.Shutdown, "shutdown-timeout", "DNCSYNC_SHUTDOWN_TIMEOUT", 30*time.Second, "how long shutdown waits for in-flight work")
	g.String(&c.PprofAddr, "pprof-addr", "DNCSYNC_PPROF_ADDR", "", "serve Go's pprof profiles on this address (e.g. localhost:6060); unset: off")

	g = s.Group(GroupIntake).Heading("Intake: webhooks and imports")
	g.String(&c.WebhookAuth, "webhook-auth", "DNCSYNC_WEBHOOK_AUTH", "", "sender authentication: standard, token or none").Require("to serve")
	g.Secret(&c.WebhookSecret, "webhook-secret", "DNCSYNC_WEBHOOK_SECRET", "Standard Webhooks secrets, whsec_..., space-separated").
		Require("with DNCSYNC_WEBHOOK_AUTH=standard")
	g.Secret(&c.WebhookToken, "webhook-token", "DNCSYNC_WEBHOOK_TOKEN", "bearer token senders send (16+ characters)").
		Require("with DNCSYNC_WEBHOOK_AUTH=token")
	g.String(&c.DefaultRegion, "default-region", "DNCSYNC_DEFAULT_REGION", "US", "region for numbers written without +")
	g.Secret(&c.TwilioToken, "twilio-auth-token", "TWILIO_AUTH_TOKEN", "Twilio auth token; set: POST /webhook/twilio takes SMS replies")
	g.String(&c.StopWords, "sms-stop-words", "DNCSYNC_SMS_STOP_WORDS", "", "opt-out keywords for SMS replies beyond the defaults, comma-separated (e.g. ARRET,ALTO)")
	g.Bool(&c.StartRemoves, "sms-start-removes", "DNCSYNC_SMS_START_REMOVES", false, "an SMS START/YES/UNSTOP removes the number from the list (default: recorded only; consent to texts is not consent to calls)")
	g.String(&c.RevokeAll, "revoke-all", "DNCSYNC_REVOKE_ALL", consent.DefaultPolicy, "the FCC revoke-all rule: on, off, or on from a date (YYYY-MM-DD, 00:00 UTC); under it an opt-out of any channel blocks every call and text. Each opt-out records the policy of its receipt: a later change never narrows it")

	g = s.Group(GroupStore).Heading("Store")
	g.Secret(&c.DatabaseURL, "database-url", "DATABASE_URL", "PostgreSQL store URL: postgres://user:password@host:5432/db (?search_path=SCHEMA for a schema of its own); run `dncsync migrate` first; unset: Redis or the embedded store")
	g.Secret(&c.RedisURL, "redis-url", "REDIS_URL", "Redis store URL: redis:// or rediss:// (one server), ?master_name= (Sentinel), ?cluster=true (Cluster); unset: the embedded store")
	g.Int(&c.RedisMinReplicas, "redis-min-replicas", "DNCSYNC_REDIS_MIN_REPLICAS", 0, "Redis replicas that must hold an opt-out before it is acknowledged (WAIT); 0: the primary alone")
	g.String(&c.DataDir, "data-dir", "DNCSYNC_DATA_DIR", "./data", "directory of the embedded store")
	g.Bool(&c.UnsafeRedis, "allow-unsafe-redis", "DNCSYNC_ALLOW_UNSAFE_REDIS", false, "start even when Redis would lose accepted opt-outs (eviction, no appendonly); only if you know why")
	g.Duration(&c.EventIDTTL, "event-id-ttl", "DNCSYNC_EVENT_ID_TTL", 7*24*time.Hour, "how long event ids are remembered")
	g.Duration(&c.AuditKeep, "audit-retention", "DNCSYNC_AUDIT_RETENTION", queue.DefaultAuditRetention, "how long audit records are kept (a number's newest is always kept)")
	g.Duration(&c.RejectionKeep, "rejection-retention", "DNCSYNC_REJECTION_RETENTION", queue.DefaultRejectionRetention, "how long rejected input is kept, with its audit record")
	g.Int(&c.RejectionCap, "rejection-cap", "DNCSYNC_REJECTION_CAP", queue.DefaultRejectionCap, "most rejections kept; past it the oldest are shed (counted)")
	g.Float(&c.RejectionFill, "rejection-max-fill", "DNCSYNC_REJECTION_MAX_FILL", queue.DefaultRejectionMaxFill, "share of the store's limit (Redis maxmemory; the embedded store's filesystem; PostgreSQL has none) past which rejections are counted, not written, leaving the rest to opt-outs")

	g = s.Group(GroupPusher).Heading("Pusher: every destination's drain")
	g.Duration(&c.BatchLinger, "batch-linger", "DNCSYNC_BATCH_LINGER", 250*time.Millisecond, "longest wait for a batch to fill")
	g.Int(&c.MaxAttempts, "max-attempts", "DNCSYNC_MAX_ATTEMPTS", 12, "failed pushes before an item is dead-lettered")
	g.Int(&c.MaxLostLeases, "max-lost-leases", "DNCSYNC_MAX_LOST_LEASES", 5, "leases of a number lost to a pusher that died before it is dead-lettered")
	g.Duration(&c.RetryBackoff, "retry-backoff", "DNCSYNC_RETRY_BACKOFF", 10*time.Second, "first retry delay of a failed push; doubles each attempt up to an hour")
	g.Duration(&c.ConfigWait, "config-wait", "DNCSYNC_CONFIG_WAIT", pusher.DefaultConfigWait, "how long numbers wait, without spending attempts, after a failure that is the deployment's (credentials, list id, a refusal the destination did not explain) before they are tried again")
	g.Duration(&c.Lease, "lease", "DNCSYNC_LEASE", 30*time.Second, "how long a claimed batch is held without a heartbeat: a batch whose pusher died is pushed again about this long after")

	g = s.Group(GroupAdmin).Heading("Admin API (/v1) and status page")
	g.Secret(&c.AdminToken, "admin-token", "DNCSYNC_ADMIN_TOKEN", "bearer token for the /v1 API and the status page (16+ characters); the commands' --server sends it")
	g.Secret(&c.ReadToken, "read-token", "DNCSYNC_READ_TOKEN", "bearer token for the read-only eligibility API alone (GET and POST /v1/eligibility; 16+ characters), for dialers; it opens nothing else")

	g = s.Group(GroupDestinations).Heading("Destinations")
	g.String(&c.DestinationList, "destinations", "DNCSYNC_DESTINATIONS", queue.DefaultDestination,
		"where every opt-out goes, comma-separated: "+DestinationNames("or")+"; the first is the primary")
	for _, spec := range Destinations {
		g := s.Group(spec.Group()).Heading("Destination " + spec.Name + " (" + spec.Title + ")")
		c.dests[spec.Name] = spec.Bind(g)
		c.scopes[spec.Name] = new(string)
		spec.BindScope(g, c.scopes[spec.Name])
	}
	return c
}

// Destinations is DNCSYNC_DESTINATIONS as a list, the primary first.
func (c *Config) Destinations() []string {
	var out []string
	for _, f := range strings.Split(strings.ToLower(c.DestinationList), ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return []string{queue.DefaultDestination}
	}
	return out
}

// Dest is destination name's spec and settings; name "" is the primary. The error says which
// names there are.
func (c *Config) Dest(name string) (destination.Spec, destination.Settings, error) {
	if name == "" {
		name = c.Destinations()[0]
	}
	spec, ok := SpecOf(name)
	if !ok {
		return destination.Spec{}, nil, fmt.Errorf("%q is not a destination; use %s", name, DestinationNames("or"))
	}
	return spec, c.dests[name], nil
}

// Validate checks everything serve needs and names the variable to set for each problem.
func (c *Config) Validate() error {
	errs := []error{c.Set.Err(), c.validateCore()}
	names := c.Destinations()
	if err := queue.CheckDestinations(names); err != nil {
		errs = append(errs, fmt.Errorf("DNCSYNC_DESTINATIONS=%q: %w", c.DestinationList, err))
	}
	for _, n := range names {
		_, d, err := c.Dest(n)
		if err != nil {
			errs = append(errs, fmt.Errorf("DNCSYNC_DESTINATIONS: %w", err))
			continue
		}
		errs = append(errs, d.Validate())
	}
	if _, err := c.Lanes(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (c *Config) validateCore() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Port < 0 || c.Port > 65535 {
		add("PORT=%d is not a TCP port", c.Port)
	}
	if _, err := NewLogger(c.LogLevel, c.LogFormat, nil); err != nil {
		add("%v", err)
	}
	if _, err := c.RevokeAllPolicy(); err != nil {
		add("DNCSYNC_REVOKE_ALL: %v", err)
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
	if c.DatabaseURL != "" && c.RedisURL != "" {
		add("DATABASE_URL and REDIS_URL are both set: choose one store")
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		add("DATABASE_URL must be a postgres:// or postgresql:// URL")
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
		add("DNCSYNC_AUDIT_RETENTION=%v is shorter than a day; compliance asks for years (default %v)", c.AuditKeep, queue.DefaultAuditRetention)
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
	if c.ReadToken != "" && len(c.ReadToken) < 16 {
		add("DNCSYNC_READ_TOKEN must be at least 16 characters")
	}
	if c.ReadToken != "" && c.ReadToken == c.AdminToken {
		add("DNCSYNC_READ_TOKEN must differ from DNCSYNC_ADMIN_TOKEN: it is the read-only one")
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		add("DNCSYNC_METRICS_TOKEN must be at least 16 characters")
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

// RevokeAllPolicy is DNCSYNC_REVOKE_ALL.
func (c *Config) RevokeAllPolicy() (consent.Policy, error) { return consent.ParsePolicy(c.RevokeAll) }

// RejectionLimits are the store's limits on rejected input (Validate checked them).
func (c *Config) RejectionLimits() queue.RejectionLimits {
	return queue.RejectionLimits{Cap: c.RejectionCap, MaxFill: c.RejectionFill}
}

// StopWordList is DNCSYNC_SMS_STOP_WORDS as a list.
func (c *Config) StopWordList() []string {
	var out []string
	for _, f := range strings.Split(c.StopWords, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// Verifier is the sender authentication DNCSYNC_WEBHOOK_AUTH names.
func (c *Config) Verifier() (intake.Verifier, error) {
	switch c.WebhookAuth {
	case "standard":
		return intake.NewStandard(c.WebhookSecret)
	case "token":
		return intake.Token{Token: c.WebhookToken}, nil
	}
	return intake.None{}, nil
}
