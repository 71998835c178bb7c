// Package stdwebhook signs and verifies webhooks the Standard Webhooks way (v1 of the
// specification at standardwebhooks.com, spec/standard-webhooks.md in the
// standard-webhooks/standard-webhooks repository), in one place for the intake, which verifies
// senders, and for the webhook destination, which signs what it sends.
//
// A message carries three headers: webhook-id (unique per message and the same when it is sent
// again, the key for idempotency), webhook-timestamp (Unix seconds) and webhook-signature, a
// space-separated list of "v1,<base64 HMAC-SHA256>" entries. The HMAC is over "{id}.{timestamp}.{body}" with the secret's
// bytes as key; a secret is written "whsec_" followed by its bytes in base64. Several entries let
// a sender sign with an old and a new secret while rotating, and several secrets let a receiver
// accept both.
package stdwebhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The headers of a Standard Webhooks message.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix starts a secret in its text form.
const SecretPrefix = "whsec_"

// Tolerance is how far webhook-timestamp may be from now, either way: the specification's
// example value, which bounds how long a captured message can be replayed.
const Tolerance = 5 * time.Minute

// MinSecretBytes is the shortest secret accepted: a shorter HMAC key can be guessed.
const MinSecretBytes = 16

// A sender's signing secret: "random, between 24 bytes (192 bits) and 64 bytes (512 bits)" in
// the specification (its "Symmetric signatures" section). Verifying stays at MinSecretBytes, for
// senders that chose shorter ones; what dncsync signs with is held to the specification.
const (
	MinSigningSecretBytes = 24
	MaxSigningSecretBytes = 64
)

// SigningSecretError is a secret to sign with of fewer than MinSigningSecretBytes or more than
// MaxSigningSecretBytes bytes.
type SigningSecretError struct{ Bytes int }

func (e *SigningSecretError) Error() string {
	return fmt.Sprintf("a secret of %d bytes; the Standard Webhooks specification wants %d to %d random bytes "+
		"(whsec_$(openssl rand -base64 32))", e.Bytes, MinSigningSecretBytes, MaxSigningSecretBytes)
}

// ParseSigningSecrets is ParseSecrets for the secrets a sender signs with: each of
// MinSigningSecretBytes to MaxSigningSecretBytes bytes.
func ParseSigningSecrets(s string) ([][]byte, error) {
	out, err := ParseSecrets(s)
	var short *ShortSecretError
	if errors.As(err, &short) {
		return nil, &SigningSecretError{Bytes: short.Bytes}
	}
	if err != nil {
		return nil, err
	}
	for _, b := range out {
		if len(b) < MinSigningSecretBytes || len(b) > MaxSigningSecretBytes {
			return nil, &SigningSecretError{Bytes: len(b)}
		}
	}
	return out, nil
}

// Errors of Verify. None quotes the message, its headers or a secret.
var (
	ErrMissingHeaders = errors.New("missing webhook-id, webhook-timestamp or webhook-signature")
	ErrTimestamp      = errors.New("webhook-timestamp is not Unix seconds")
	ErrNoMatch        = errors.New("no webhook-signature matches")
)

// Errors of ParseSecret and ParseSecrets. None quotes the secret.
var (
	ErrSecretFormat = errors.New("a secret is not whsec_ followed by base64")
	ErrNoSecret     = errors.New("no secret given")
)

// ShortSecretError is a secret of fewer than MinSecretBytes bytes.
type ShortSecretError struct{ Bytes int }

func (e *ShortSecretError) Error() string {
	return fmt.Sprintf("a secret of %d bytes; use at least %d random bytes (whsec_$(openssl rand -base64 32))", e.Bytes, MinSecretBytes)
}

// ParseSecret reads one secret: "whsec_<base64>", or the base64 alone.
func ParseSecret(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(strings.TrimSpace(s), SecretPrefix))
	if err != nil || len(b) == 0 {
		return nil, ErrSecretFormat
	}
	if len(b) < MinSecretBytes {
		return nil, &ShortSecretError{Bytes: len(b)}
	}
	return b, nil
}

// ParseSecrets reads space-separated secrets (several while rotating).
func ParseSecrets(s string) ([][]byte, error) {
	var out [][]byte
	for _, f := range strings.Fields(s) {
		b, err := ParseSecret(f)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	if len(out) == 0 {
		return nil, ErrNoSecret
	}
	return out, nil
}

// NewSecret returns a fresh secret of 32 random bytes in its text form.
func NewSecret() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand: it crashes the program instead)
	return FormatSecret(b)
}

// FormatSecret writes a secret's bytes in the text form, whsec_<base64>.
func FormatSecret(b []byte) string { return SecretPrefix + base64.StdEncoding.EncodeToString(b) }

// Signature is the "v1,<base64>" entry for a message.
func Signature(secret []byte, id string, timestamp int64, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(mac(secret, id, strconv.FormatInt(timestamp, 10), body))
}

func mac(secret []byte, id, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Sign sets the three headers of a message with id sent at t, signed with each secret (the first
// is the current one; others are still accepted by receivers during a rotation).
func Sign(h http.Header, id string, t time.Time, body []byte, secrets ...[]byte) {
	ts := t.Unix()
	sigs := make([]string, len(secrets))
	for i, s := range secrets {
		sigs[i] = Signature(s, id, ts, body)
	}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderSignature, strings.Join(sigs, " "))
}

// Verifier checks messages against one or more secrets.
type Verifier struct {
	Secrets   [][]byte
	Tolerance time.Duration    // 0: Tolerance
	Now       func() time.Time // nil: time.Now
}

// Verify checks a message's headers against its raw body. It returns nil when a v1 entry of
// webhook-signature matches any secret and webhook-timestamp is within the tolerance. Entries of
// other versions, and malformed entries, are skipped rather than fatal: a sender may add them.
func (v Verifier) Verify(h http.Header, body []byte) error {
	id, ts, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || ts == "" || sigs == "" {
		return ErrMissingHeaders
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrTimestamp
	}
	tol, now := v.Tolerance, time.Now
	if tol <= 0 {
		tol = Tolerance
	}
	if v.Now != nil {
		now = v.Now
	}
	if d := now().Sub(time.Unix(sec, 0)); d > tol || d < -tol {
		return fmt.Errorf("webhook-timestamp is more than %s from now", spell(tol))
	}
	for _, key := range v.Secrets {
		want := mac(key, id, ts, body)
		for _, sig := range strings.Fields(sigs) {
			ver, b64, ok := strings.Cut(sig, ",")
			if !ok || ver != "v1" {
				continue
			}
			got, err := base64.StdEncoding.DecodeString(b64)
			if err == nil && hmac.Equal(got, want) {
				return nil
			}
		}
	}
	return ErrNoMatch
}

// spell writes a tolerance as people do: "5 minutes", not "5m0s".
func spell(d time.Duration) string {
	switch {
	case d == time.Minute:
		return "1 minute"
	case d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + " minutes"
	}
	return d.String()
}
