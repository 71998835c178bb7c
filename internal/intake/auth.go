package intake

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/dncsync/dncsync/internal/gate"
	"github.com/dncsync/dncsync/internal/stdwebhook"
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
	got, ok := gate.Bearer(r) // the one rule every bearer token of dncsync is read by
	if !ok {
		return errors.New("missing Authorization: Bearer token")
	}
	if !gate.Match(got, t.Token) {
		return errors.New("wrong bearer token")
	}
	return nil
}

func (Token) Challenge() string { return `Bearer realm="dncsync"` }

// Standard checks Standard Webhooks v1 signatures (DNCSYNC_WEBHOOK_AUTH=standard) with the
// stdwebhook package. Replays inside the 5-minute window are caught by the store, which remembers
// webhook-id as the event id.
type Standard struct {
	secrets [][]byte
	Now     func() time.Time
}

// Tolerance is how far webhook-timestamp may be from now.
const Tolerance = stdwebhook.Tolerance

// MinSecretBytes is the shortest webhook secret accepted: a shorter HMAC key can be guessed.
const MinSecretBytes = stdwebhook.MinSecretBytes

// NewStandard parses DNCSYNC_WEBHOOK_SECRET: space-separated "whsec_<base64>" secrets (rotation).
func NewStandard(secrets string) (*Standard, error) {
	b, err := stdwebhook.ParseSecrets(secrets)
	if errors.Is(err, stdwebhook.ErrNoSecret) {
		return nil, errors.New("DNCSYNC_WEBHOOK_SECRET is empty; set it to whsec_<base64 secret>")
	}
	if err != nil {
		return nil, fmt.Errorf("DNCSYNC_WEBHOOK_SECRET: %w", err)
	}
	return &Standard{secrets: b, Now: time.Now}, nil
}

func (s *Standard) Verify(r *http.Request, body []byte) error {
	return stdwebhook.Verifier{Secrets: s.secrets, Tolerance: Tolerance, Now: s.Now}.Verify(r.Header, body)
}

func (*Standard) Challenge() string { return `Signature realm="dncsync"` }
