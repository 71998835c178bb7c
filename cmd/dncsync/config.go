package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/phone"
)

// config is every setting; each is an environment variable (CONTRACTS.md section 7) and a flag.
type config struct {
	Port          int
	RedisURL      string
	DataDir       string
	CXoneAPI      string
	BaseURL       string
	ClientID      string
	ClientSecret  string
	ListID        string
	RateLimitRPM  int
	BatchSize     int
	BatchLinger   time.Duration
	DefaultRegion string
	MaxAttempts   int
	RetryBackoff  time.Duration
	Lease         time.Duration
	EventIDTTL    time.Duration
	WebhookAuth   string
	WebhookSecret string
	WebhookToken  string
	AdminToken    string
	LogLevel      string
	LogFormat     string
	Shutdown      time.Duration
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

// bindConfig defines the flags of every setting on fs.
func bindConfig(fs *flag.FlagSet) (*config, *envFlags) {
	c := &config{}
	e := &envFlags{fs: fs}
	e.int(&c.Port, "port", "PORT", 3000, "HTTP listen port")
	e.str(&c.RedisURL, "redis-url", "REDIS_URL", "", "Redis store URL (redis:// or rediss://); unset: the embedded store")
	e.str(&c.DataDir, "data-dir", "DNCSYNC_DATA_DIR", "./data", "directory of the embedded store")
	e.str(&c.CXoneAPI, "cxone-api", "CXONE_API", "", "CXone API profile: v2")
	e.str(&c.BaseURL, "cxone-base-url", "CXONE_BASE_URL", "", "CXone base URL (v2)")
	e.str(&c.ClientID, "cxone-client-id", "CXONE_CLIENT_ID", "", "CXone OAuth client id (v2)")
	e.str(&c.ClientSecret, "cxone-client-secret", "CXONE_CLIENT_SECRET", "", "CXone OAuth client secret (v2)")
	e.str(&c.ListID, "cxone-dnc-list-id", "CXONE_DNC_LIST_ID", "", "CXone do-not-call list id (v2)")
	e.int(&c.RateLimitRPM, "rate-limit-rpm", "CXONE_RATE_LIMIT_RPM", 100, "requests a minute to CXone for the organization")
	e.int(&c.BatchSize, "batch-size", "DNCSYNC_BATCH_SIZE", 50, "numbers per CXone request")
	e.dur(&c.BatchLinger, "batch-linger", "DNCSYNC_BATCH_LINGER", 250*time.Millisecond, "longest wait for a batch to fill")
	e.str(&c.DefaultRegion, "default-region", "DNCSYNC_DEFAULT_REGION", "US", "region for numbers written without +")
	e.int(&c.MaxAttempts, "max-attempts", "DNCSYNC_MAX_ATTEMPTS", 12, "failed pushes before an item is dead-lettered")
	e.dur(&c.RetryBackoff, "retry-backoff", "DNCSYNC_RETRY_BACKOFF", 10*time.Second, "first retry delay of a failed push; doubles each attempt up to an hour")
	e.dur(&c.Lease, "lease", "DNCSYNC_LEASE", 2*time.Minute, "how long a pusher holds a claimed batch")
	e.dur(&c.EventIDTTL, "event-id-ttl", "DNCSYNC_EVENT_ID_TTL", 7*24*time.Hour, "how long event ids are remembered")
	e.str(&c.WebhookAuth, "webhook-auth", "DNCSYNC_WEBHOOK_AUTH", "", "sender authentication: standard, token or none")
	e.str(&c.WebhookSecret, "webhook-secret", "DNCSYNC_WEBHOOK_SECRET", "", "Standard Webhooks secrets, whsec_..., space-separated")
	e.str(&c.WebhookToken, "webhook-token", "DNCSYNC_WEBHOOK_TOKEN", "", "bearer token for DNCSYNC_WEBHOOK_AUTH=token")
	e.str(&c.AdminToken, "admin-token", "DNCSYNC_ADMIN_TOKEN", "", "bearer token for the /v1 API")
	e.str(&c.LogLevel, "log-level", "DNCSYNC_LOG_LEVEL", "info", "debug, info, warn or error")
	e.str(&c.LogFormat, "log-format", "DNCSYNC_LOG_FORMAT", "json", "json or text")
	e.dur(&c.Shutdown, "shutdown-timeout", "DNCSYNC_SHUTDOWN_TIMEOUT", 30*time.Second, "how long shutdown waits for in-flight work")
	return c, e
}

// validate checks everything serve needs and names the variable to set for each problem.
func (c *config) validate(e *envFlags) error {
	errs := append([]error(nil), e.errs...)
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Port < 0 || c.Port > 65535 {
		add("PORT=%d is not a TCP port", c.Port)
	}
	switch c.CXoneAPI {
	case "v2":
		for env, v := range map[string]string{"CXONE_BASE_URL": c.BaseURL, "CXONE_CLIENT_ID": c.ClientID,
			"CXONE_CLIENT_SECRET": c.ClientSecret, "CXONE_DNC_LIST_ID": c.ListID} {
			if v == "" {
				add("%s is required with CXONE_API=v2", env)
			}
		}
		if c.BaseURL != "" && !strings.HasPrefix(c.BaseURL, "https://") && !strings.HasPrefix(c.BaseURL, "http://") {
			add("CXONE_BASE_URL=%q must start with https://", c.BaseURL)
		}
	case "admin":
		add("CXONE_API=admin (the CXone Admin API) is not in this build yet; use CXONE_API=v2")
	case "":
		add("CXONE_API is required: set it to v2 (the tutorial's Outbound DNC API)")
	default:
		add("CXONE_API=%q is not a profile; set v2", c.CXoneAPI)
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
	if c.RetryBackoff <= 0 {
		add("DNCSYNC_RETRY_BACKOFF must be positive, e.g. 10s")
	}
	if c.Lease < 30*time.Second {
		add("DNCSYNC_LEASE=%v must be at least 30s (longer than a CXone request)", c.Lease)
	}
	switch c.WebhookAuth {
	case "standard":
		if c.WebhookSecret == "" {
			add("DNCSYNC_WEBHOOK_SECRET is required with DNCSYNC_WEBHOOK_AUTH=standard")
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
