package stdwebhook_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/stdwebhook"
)

// The example of the specification (spec/standard-webhooks.md), checked against this package's
// own signing and verifying.
func TestSpecificationExample(t *testing.T) {
	secret, err := stdwebhook.ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"test": 2432232314}`)
	const want = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	if got := stdwebhook.Signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body); got != want {
		t.Fatalf("signature %q, want the specification's %q", got, want)
	}
	h := http.Header{}
	stdwebhook.Sign(h, "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), body, secret)
	if h.Get("webhook-signature") != want || h.Get("webhook-timestamp") != "1614265330" || h.Get("webhook-id") == "" {
		t.Fatalf("headers %v", h)
	}
	v := stdwebhook.Verifier{Secrets: [][]byte{secret}, Now: func() time.Time { return time.Unix(1614265330, 0) }}
	if err := v.Verify(h, body); err != nil {
		t.Fatalf("specification example rejected: %v", err)
	}
	if err := v.Verify(h, append(body, ' ')); !errors.Is(err, stdwebhook.ErrNoMatch) {
		t.Fatalf("another body: %v, want ErrNoMatch", err)
	}
}

func TestVerify(t *testing.T) {
	now := time.Unix(1_750_000_000, 0)
	oldKey, newKey, other := []byte("the old secret, 32 bytes long..."), []byte("the new secret, rotated in here."), []byte("somebody else's secret key......")
	body := []byte(`{"a":1}`)
	signed := func(t0 time.Time, id string, keys ...[]byte) http.Header {
		h := http.Header{}
		stdwebhook.Sign(h, id, t0, body, keys...)
		return h
	}
	v := stdwebhook.Verifier{Secrets: [][]byte{newKey, oldKey}, Now: func() time.Time { return now }}

	for name, h := range map[string]http.Header{
		"new secret":               signed(now, "msg_1", newKey),
		"old secret":               signed(now, "msg_1", oldKey),
		"both, while rotating":     signed(now, "msg_1", other, oldKey),
		"at the tolerance, behind": signed(now.Add(-stdwebhook.Tolerance), "msg_1", newKey),
		"at the tolerance, ahead":  signed(now.Add(stdwebhook.Tolerance), "msg_1", newKey),
		"another version is skipped": func() http.Header {
			h := signed(now, "msg_1", newKey)
			h.Set("webhook-signature", "v2,abc v1 v1,!!! "+h.Get("webhook-signature"))
			return h
		}(),
	} {
		if err := v.Verify(h, body); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}

	for name, tc := range map[string]struct {
		h    http.Header
		want error
	}{
		"no headers":     {http.Header{}, stdwebhook.ErrMissingHeaders},
		"no id":          {func() http.Header { h := signed(now, "msg_1", newKey); h.Del("webhook-id"); return h }(), stdwebhook.ErrMissingHeaders},
		"unknown secret": {signed(now, "msg_1", other), stdwebhook.ErrNoMatch},
		"milliseconds": {func() http.Header {
			h := signed(now, "msg_1", newKey)
			h.Set("webhook-timestamp", strconv.FormatInt(now.UnixMilli(), 10))
			return h
		}(), nil},
		"not a number": {func() http.Header {
			h := signed(now, "msg_1", newKey)
			h.Set("webhook-timestamp", now.Format(time.RFC3339))
			return h
		}(), stdwebhook.ErrTimestamp},
		"another id": {func() http.Header {
			h := signed(now, "msg_1", newKey)
			h.Set("webhook-id", "msg_2")
			return h
		}(), stdwebhook.ErrNoMatch},
		"a minute too old": {signed(now.Add(-stdwebhook.Tolerance-time.Minute), "msg_1", newKey), nil},
		"bare signature": {func() http.Header {
			h := signed(now, "msg_1", newKey)
			h.Set("webhook-signature", strings.TrimPrefix(h.Get("webhook-signature"), "v1,"))
			return h
		}(), stdwebhook.ErrNoMatch},
	} {
		err := v.Verify(tc.h, body)
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	// The timestamp error says the tolerance as people write it.
	if err := v.Verify(signed(now.Add(-time.Hour), "msg_1", newKey), body); err == nil || !strings.Contains(err.Error(), "5 minutes") {
		t.Errorf("an hour old: %v", err)
	}
	// A custom tolerance.
	strict := stdwebhook.Verifier{Secrets: [][]byte{newKey}, Tolerance: time.Second, Now: func() time.Time { return now }}
	if err := strict.Verify(signed(now.Add(-2*time.Second), "msg_1", newKey), body); err == nil {
		t.Error("a 1 s tolerance accepted a message 2 s old")
	}
}

func TestParseSecrets(t *testing.T) {
	key := []byte("sixteen bytes!!!")
	for _, in := range []string{stdwebhook.FormatSecret(key), base64.StdEncoding.EncodeToString(key), "  " + stdwebhook.FormatSecret(key) + "\t"} {
		got, err := stdwebhook.ParseSecrets(in)
		if err != nil || len(got) != 1 || string(got[0]) != string(key) {
			t.Errorf("ParseSecrets(%q) = %q, %v", in, got, err)
		}
	}
	two, err := stdwebhook.ParseSecrets(stdwebhook.NewSecret() + " " + stdwebhook.NewSecret())
	if err != nil || len(two) != 2 || len(two[0]) != 32 || string(two[0]) == string(two[1]) {
		t.Fatalf("two fresh secrets: %d, %v", len(two), err)
	}
	for in, want := range map[string]error{
		"":                 stdwebhook.ErrNoSecret,
		"   ":              stdwebhook.ErrNoSecret,
		"whsec_":           stdwebhook.ErrSecretFormat,
		"whsec_not*base64": stdwebhook.ErrSecretFormat,
		"whsec_" + base64.RawStdEncoding.EncodeToString([]byte("no padding")): stdwebhook.ErrSecretFormat,
	} {
		if _, err := stdwebhook.ParseSecrets(in); !errors.Is(err, want) {
			t.Errorf("ParseSecrets(%q): %v, want %v", in, err, want)
		}
	}
	var short *stdwebhook.ShortSecretError
	_, err = stdwebhook.ParseSecret(stdwebhook.FormatSecret([]byte("fifteen bytes!!")))
	if !errors.As(err, &short) || short.Bytes != 15 || strings.Contains(err.Error(), "fifteen") {
		t.Errorf("a 15-byte secret: %v", err)
	}
}

func TestParseSigningSecrets(t *testing.T) {
	for n, ok := range map[int]bool{16: false, 23: false, 24: true, 32: true, 64: true, 65: false} {
		s := stdwebhook.FormatSecret(make([]byte, n))
		_, err := stdwebhook.ParseSigningSecrets(stdwebhook.NewSecret() + " " + s)
		var bad *stdwebhook.SigningSecretError
		if (err == nil) != ok || (!ok && (!errors.As(err, &bad) || bad.Bytes != n || !strings.Contains(err.Error(), "24 to 64"))) {
			t.Errorf("%d bytes: %v", n, err)
		}
	}
	if _, err := stdwebhook.ParseSigningSecrets("whsec_!!"); !errors.Is(err, stdwebhook.ErrSecretFormat) {
		t.Errorf("not base64: %v", err)
	}
}
