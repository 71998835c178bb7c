// Package webhook is a generic destination: it POSTs each batch as JSON to a URL, signed the
// Standard Webhooks way (package stdwebhook), for in-house CRMs and dialers that keep their own
// do-not-call list. A 2xx answer confirms the batch.
//
// # Request
//
//	POST {DNCSYNC_WEBHOOK_DEST_URL}
//	Content-Type: application/json
//	webhook-id: msg_3f1c0b7e9a2d4c5b8e6f7a1b2c3d4e5f   (the same when the same delivery is sent again)
//	webhook-timestamp: 1767225600                      (Unix seconds of this attempt)
//	webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">
//
//	{"type":"dnc.add","timestamp":"2025-12-31T23:59:58.120Z","data":{"action":"add","numbers":[
//	  {"phoneNumber":"+14155552671","reason":"opt_out","source":"web","expiresAt":"2026-07-01T00:00:00Z",
//	   "occurredAt":"2025-12-31T23:59:58.120Z"}]}}
//
// type is "dnc.add" or "dnc.remove" (data.action "add" or "remove"), or "dnc.ping" with no
// numbers from Ping. The envelope {"type","timestamp","data"} is the payload structure the
// Standard Webhooks specification recommends, and as there timestamp is when the event occurred:
// the newest occurredAt of the request (a ping's is when it is sent). phoneNumber is E.164;
// occurredAt (RFC 3339, UTC, milliseconds) is when the person asked for this action; expiresAt
// (RFC 3339, UTC) is present on an add whose opt-out ends, absent when it does not; reason and
// source are as received. A number appears once per request; numbers are sorted.
//
// webhook-id is the idempotency key: it is derived from the body, so a retry of a delivery (its
// answer was lost, it timed out) carries the same id, and a request that differs in anything has
// another. A receiver that deduplicates by it must remember an id only once every number of it was
// applied: an answer that rejected a number, or asked for a retry, must not stick to the retry.
//
// Adding a listed number again, or removing one that is not listed, must succeed: the operations
// are set operations. A receiver should apply an action only when its occurredAt is not older than
// the last action it applied to the number (remembering removals too), so that a late retry of an
// old add cannot undo a newer removal, nor the reverse.
//
// # Answers
//
//   - 2xx confirms every number of the request. A receiver that refuses single numbers answers
//     2xx with {"results":[{"phoneNumber":"+1...","status":"rejected","error":"..."}]}: a number
//     "rejected" waits, without spending attempts, until the receiver has accepted another number
//     in another request since (a receiver that rejects everything is more likely broken than every
//     number bad), and is dead-lettered if rejected again then; one with "retry" is tried again
//     later; numbers the results leave out are confirmed, and so are those with status "ok". Any
//     other 2xx body is ignored.
//   - 429 pauses every request for Retry-After (seconds or an HTTP date), or a growing back-off,
//     without spending attempts.
//   - 408, 425, 5xx, timeouts and lost connections are retried with back-off.
//   - 413 halves the batch (and keeps the smaller size); a single number still too large is the
//     deployment's.
//   - 3xx (redirects are not followed: a signed request goes only where it was configured to), 401,
//     403, 404 and every other 4xx are the deployment's: a receiver that refuses a whole batch has
//     another contract or another secret, and the numbers wait, without spending attempts, while
//     an operator is told. No status dead-letters a batch: only per-number results do.
package webhook

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/destination/httpcall"
	"github.com/dncsync/dncsync/internal/stdwebhook"
)

// Dest names this destination in errors and logs.
const Dest = "webhook"

// Defaults, each defined once.
const (
	// DefaultMaxBatch is the most numbers one request carries (DNCSYNC_WEBHOOK_DEST_MAX_BATCH).
	DefaultMaxBatch = 500
	// DefaultTimeout bounds one request (DNCSYNC_WEBHOOK_DEST_TIMEOUT).
	DefaultTimeout = 15 * time.Second
	// DefaultRateLimitRPM is the requests a minute proposed for the pusher's pacer
	// (DNCSYNC_WEBHOOK_DEST_RATE_LIMIT_RPM): receivers are in-house, and say so with 429s.
	DefaultRateLimitRPM = 600
)

// Config configures a webhook destination. The comments name the settings proposed for each field.
type Config struct {
	// URL receives the batches (DNCSYNC_WEBHOOK_DEST_URL): https, or http to a loopback host (or
	// anywhere with AllowHTTP).
	URL string
	// Secret signs the requests (DNCSYNC_WEBHOOK_DEST_SECRET): "whsec_<base64>" of 24 to 64 random
	// bytes, as the Standard Webhooks specification has it; several space-separated while
	// rotating, each signing every request (the first is the current one).
	Secret string
	// AllowHTTP permits plain http to hosts other than loopback
	// (DNCSYNC_WEBHOOK_DEST_ALLOW_HTTP): numbers then travel readable on the network.
	AllowHTTP bool
	// MaxBatch is the most numbers one request carries; 0: DefaultMaxBatch.
	MaxBatch int
	// Timeout bounds one request; 0: DefaultTimeout.
	Timeout time.Duration
	// Pacer gates every request; required.
	Pacer destination.Pacer
	// HTTP sends the requests; default a plain client. Redirects are never followed either way.
	HTTP *http.Client
}

// Client is a webhook destination.
type Client struct {
	cfg      Config
	url      string
	secrets  [][]byte
	call     *httpcall.Caller
	now      func() time.Time
	maxBatch atomic.Int64
}

var _ destination.Client = (*Client)(nil)

// New checks cfg and returns a client. Its errors name the setting to change and never quote the
// secret.
func New(cfg Config) (*Client, error) {
	u, err := checkURL(cfg.URL, cfg.AllowHTTP)
	if err != nil {
		return nil, err
	}
	secrets, err := stdwebhook.ParseSigningSecrets(cfg.Secret)
	if err != nil {
		return nil, configError("config", 0, "DNCSYNC_WEBHOOK_DEST_SECRET: "+err.Error())
	}
	if cfg.Pacer == nil {
		return nil, configError("config", 0, "no pacer (a wiring bug)")
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = DefaultMaxBatch
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	c := &Client{cfg: cfg, url: u, secrets: secrets, now: time.Now}
	c.call = httpcall.New(httpcall.Config{Dest: Dest, HTTP: cfg.HTTP, Pacer: cfg.Pacer, Timeout: cfg.Timeout,
		Now:          func() time.Time { return c.now() },
		URLHint:      "DNCSYNC_WEBHOOK_DEST_URL is not usable",
		RedirectHint: "DNCSYNC_WEBHOOK_DEST_URL redirects elsewhere: set it to the final URL",
		Prepare: func(h http.Header, body []byte) {
			stdwebhook.Sign(h, deliveryID(body), c.now(), body, c.secrets...)
		}})
	c.maxBatch.Store(int64(cfg.MaxBatch))
	return c, nil
}

// checkURL accepts an absolute https URL, or http to a loopback host (or anywhere with allowHTTP).
func checkURL(s string, allowHTTP bool) (string, error) {
	s = strings.TrimSpace(s)
	u, err := url.Parse(s)
	if s == "" || err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", configError("config", 0, "DNCSYNC_WEBHOOK_DEST_URL must be an absolute https URL")
	}
	if u.Scheme == "http" && !allowHTTP && !loopback(u.Hostname()) {
		return "", configError("config", 0, "DNCSYNC_WEBHOOK_DEST_URL is plain http to another host: use https, "+
			"or set DNCSYNC_WEBHOOK_DEST_ALLOW_HTTP=true to send numbers unencrypted")
	}
	return u.String(), nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Login reports whether the destination is configured; it sends nothing, since a receiver has no
// login and readiness should not post to it. Ping checks the receiver.
func (c *Client) Login(ctx context.Context) error { return ctx.Err() }

// MaxBatch is the request size in use: the configured one, or smaller after a 413.
func (c *Client) MaxBatch() int { return int(c.maxBatch.Load()) }

// deliveryID is a request's webhook-id: "msg_" and 32 hex digits of the SHA-256 of its body. The
// Standard Webhooks specification makes the id the idempotency key, the same when a message is
// sent again; a body is the same exactly when it carries the same numbers with the same actions,
// times, ends, reasons and sources (plan sorts them, and its timestamp is the events' time), so a
// retry of a delivery carries its id, and anything that differs gets another.
func deliveryID(body []byte) string {
	sum := sha256.Sum256(body)
	return "msg_" + hex.EncodeToString(sum[:16])
}

func configError(op string, status int, msg string) *destination.Error {
	return &destination.Error{Kind: destination.Config, Dest: Dest, Op: op, Status: status, Msg: msg}
}
