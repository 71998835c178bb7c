package intake

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Verifier authenticates a webhook sender from the request and its raw body.
type Verifier interface {
	Verify(r *http.Request, body []byte) error
	// Challenge is the WWW-Authenticate value of a 401.
	Challenge() string
}

// None accepts every sender (DNCSYNC_WEBHOOK_AUTH=none: local trials and tests).
type None struct{}

func (None) Verify(*http.Request, []byte) error { return nil }
func (None) Challenge() string                  { return "" }

// Token checks "Authorization: Bearer <token>" (DNCSYNC_WEBHOOK_AUTH=token), for senders such as a
// CXone Studio REST action that can set a header but cannot sign.
type Token struct{ Token string }

func (t Token) Verify(r *http.Request, _ []byte) error {
	h := r.Header.Get("Authorization")
	// The scheme name is case-insensitive (RFC 9110).
	if len(h) < 7 || !strings.EqualFold(h[:7], "Bearer ") {
		return errors.New("missing Authorization: Bearer token")
	}
	got := h[7:]
	if subtle.ConstantTimeCompare([]byte(got), []byte(t.Token)) != 1 {
		return errors.New("wrong bearer token")
	}
	return nil
}

func (Token) Challenge() string { return `Bearer realm="dncsync"` }

// Standard checks Standard Webhooks v1 signatures (DNCSYNC_WEBHOOK_AUTH=standard). Replays inside
// the 5-minute window are caught by the store, which remembers webhook-id as the event id.
type Standard struct {
	secrets [][]byte
	Now     func() time.Time
}

// Tolerance is how far webhook-timestamp may be from now.
const Tolerance = 5 * time.Minute

// MinSecretBytes is the shortest webhook secret accepted: a shorter HMAC key can be guessed.
const MinSecretBytes = 16

// NewStandard parses DNCSYNC_WEBHOOK_SECRET: space-separated "whsec_<base64>" secrets (rotation).
func NewStandard(secrets string) (*Standard, error) {
	s := &Standard{Now: time.Now}
	for _, f := range strings.Fields(secrets) {
		b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(f, "whsec_"))
		if err != nil || len(b) == 0 {
			return nil, fmt.Errorf("DNCSYNC_WEBHOOK_SECRET: a secret is not whsec_ followed by base64")
		}
		if len(b) < MinSecretBytes {
			return nil, fmt.Errorf("DNCSYNC_WEBHOOK_SECRET: a secret of %d bytes; use at least %d random bytes (whsec_$(openssl rand -base64 32))", len(b), MinSecretBytes)
		}
		s.secrets = append(s.secrets, b)
	}
	if len(s.secrets) == 0 {
		return nil, errors.New("DNCSYNC_WEBHOOK_SECRET is empty; set it to whsec_<base64 secret>")
	}
	return s, nil
}

func (s *Standard) Verify(r *http.Request, body []byte) error {
	id, ts, sigs := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return errors.New("missing webhook-id, webhook-timestamp or webhook-signature")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("webhook-timestamp is not Unix seconds")
	}
	if d := s.Now().Sub(time.Unix(sec, 0)); d > Tolerance || d < -Tolerance {
		return errors.New("webhook-timestamp is more than 5 minutes from now")
	}
	for _, key := range s.secrets {
		mac := hmac.New(sha256.New, key)
		fmt.Fprintf(mac, "%s.%s.", id, ts)
		mac.Write(body)
		want := mac.Sum(nil)
		for _, sig := range strings.Fields(sigs) {
			v, b64, ok := strings.Cut(sig, ",")
			if !ok || v != "v1" {
				continue
			}
			got, err := base64.StdEncoding.DecodeString(b64)
			if err == nil && hmac.Equal(got, want) {
				return nil
			}
		}
	}
	return errors.New("no webhook-signature matches")
}

func (*Standard) Challenge() string { return `Signature realm="dncsync"` }
