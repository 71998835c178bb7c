package intake_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/intake"
	"github.com/dncsync/dncsync/internal/queue/boltq"
)

const validEvent = `{"eventType":"contact.opt_out","data":{"phoneNumber":"(415) 555-2671"}}`

func TestTokenAuth(t *testing.T) {
	t.Parallel()
	const token = "tok_0123456789abcdef"

	type testBundle struct {
		q   *boltq.Store
		srv *httptest.Server
	}

	setup := func(t *testing.T) *testBundle {
		t.Helper()
		q := openStore(t)
		return &testBundle{q: q, srv: serve(t, intake.New(q, intake.Config{Auth: intake.Token{Token: token}}))}
	}

	for _, tc := range []struct {
		name, authorization, body string
	}{
		{"missing header", "", validEvent},
		{"wrong token", "Bearer tok_0123456789abcdeX", validEvent},
		{"token prefix", "Bearer tok_0123456789abcde", validEvent},
		{"token with suffix", "Bearer " + token + "0", validEvent},
		{"no scheme", token, validEvent},
		{"basic scheme", "Basic " + base64.StdEncoding.EncodeToString([]byte("user:"+token)), validEvent},
		// Authentication comes before parsing: unauthenticated senders learn nothing about the body
		// and cannot fill the rejection log.
		{"wrong token, malformed body", "Bearer nope", `{"phoneNumber":`},
		{"wrong token, invalid number", "Bearer nope", `{"phoneNumber":"12"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			post(t, b.srv.URL, tc.body, http.Header{"Authorization": {tc.authorization}}).
				wantUnauthorized(t, `Bearer realm="dncsync"`)
			nothingStored(t, b.q)
		})
	}

	t.Run("right token", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		post(t, b.srv.URL, validEvent, http.Header{"Authorization": {"Bearer " + token}}).
			want(t, http.StatusOK, `{"status":"accepted","phoneNumber":"+14155552671"}`)
		if items := claimAll(t, b.q); len(items) != 1 {
			t.Fatalf("store holds %v, want +14155552671", keys(items))
		}
	})
}

func TestStandardAuth(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_750_000_000, 0)
	keyA, keyB, keyC := []byte("secret A: 32 bytes of key mater."), []byte("secret B, the one rotated in...."), []byte("an unrelated sender's secret key")

	type testBundle struct {
		q   *boltq.Store
		srv *httptest.Server
	}

	setup := func(t *testing.T, secrets string) *testBundle {
		t.Helper()
		v, err := intake.NewStandard(secrets)
		if err != nil {
			t.Fatal(err)
		}
		v.Now = func() time.Time { return now }
		q := openStore(t)
		return &testBundle{q: q, srv: serve(t, intake.New(q, intake.Config{Auth: v}))}
	}

	ts := strconv.FormatInt(now.Unix(), 10)
	good := sign(keyA, "msg_1", ts, validEvent)
	headers := func(id, ts, sig string) http.Header {
		return http.Header{"Webhook-Id": {id}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {sig}}
	}

	t.Run("accepts a valid signature", func(t *testing.T) {
		t.Parallel()
		b := setup(t, whsec(keyA))
		post(t, b.srv.URL, validEvent, headers("msg_1", ts, good)).
			want(t, http.StatusOK, `{"status":"accepted","phoneNumber":"+14155552671","eventId":"msg_1"}`)
		// A replay inside the tolerance window is caught by the id.
		post(t, b.srv.URL, validEvent, headers("msg_1", ts, good)).
			want(t, http.StatusOK, `{"status":"duplicate","phoneNumber":"+14155552671","eventId":"msg_1"}`)
		if it := claimAll(t, b.q)["+14155552671"]; it.Events != 1 {
			t.Fatalf("entry has %d events after a replay, want 1", it.Events)
		}
	})

	t.Run("timestamps inside the tolerance", func(t *testing.T) {
		t.Parallel()
		b := setup(t, whsec(keyA))
		for i, d := range []time.Duration{-4 * time.Minute, 4 * time.Minute, -intake.Tolerance, intake.Tolerance} {
			ts := strconv.FormatInt(now.Add(d).Unix(), 10)
			id := "msg_t" + strconv.Itoa(i)
			res := post(t, b.srv.URL, validEvent, headers(id, ts, sign(keyA, id, ts, validEvent)))
			if res.status != http.StatusOK {
				t.Fatalf("timestamp %v from now: %d %s, want 200", d, res.status, res.body)
			}
		}
	})

	for _, tc := range []struct {
		name string
		body string
		hdr  http.Header
	}{
		{"no headers", validEvent, http.Header{}},
		{"no webhook-id", validEvent, headers("", ts, good)},
		{"no webhook-timestamp", validEvent, headers("msg_1", "", good)},
		{"no webhook-signature", validEvent, headers("msg_1", ts, "")},
		{"timestamp not a number", validEvent, headers("msg_1", "2025-06-15T12:00:00Z", good)},
		{"wrong secret", validEvent, headers("msg_1", ts, sign(keyC, "msg_1", ts, validEvent))},
		{"signature not base64", validEvent, headers("msg_1", ts, "v1,not base64!")},
		{"truncated signature", validEvent, headers("msg_1", ts, good[:len(good)-4])},
		{"tampered body", strings.Replace(validEvent, "2671", "2672", 1), headers("msg_1", ts, good)},
		{"body with a trailing newline", validEvent + "\n", headers("msg_1", ts, good)},
		{"tampered id", validEvent, headers("msg_2", ts, good)},
		{"timestamp 6 minutes old", validEvent, headers("msg_1", tsAt(now.Add(-6*time.Minute)),
			sign(keyA, "msg_1", tsAt(now.Add(-6*time.Minute)), validEvent))},
		{"timestamp 6 minutes ahead", validEvent, headers("msg_1", tsAt(now.Add(6*time.Minute)),
			sign(keyA, "msg_1", tsAt(now.Add(6*time.Minute)), validEvent))},
		{"timestamp in milliseconds", validEvent, headers("msg_1", tsAt(now)+"000",
			sign(keyA, "msg_1", tsAt(now)+"000", validEvent))},
		{"only a v2 entry", validEvent, headers("msg_1", ts, "v2,"+strings.TrimPrefix(good, "v1,"))},
		{"only a v1a entry", validEvent, headers("msg_1", ts, "v1a,"+strings.TrimPrefix(good, "v1,"))},
		{"bare signature without version", validEvent, headers("msg_1", ts, strings.TrimPrefix(good, "v1,"))},
		{"signed with the raw secret text", validEvent, headers("msg_1", ts,
			sign([]byte(whsec(keyA)), "msg_1", ts, validEvent))},
		// Authentication comes before parsing: nothing is recorded for an unauthenticated sender.
		{"bad signature, invalid number", `{"phoneNumber":"12"}`, headers("msg_1", ts, good)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, whsec(keyA))
			post(t, b.srv.URL, tc.body, tc.hdr).wantUnauthorized(t, `Signature realm="dncsync"`)
			nothingStored(t, b.q)
		})
	}

	t.Run("several signatures in the header", func(t *testing.T) {
		t.Parallel()
		bad := sign(keyC, "msg_1", ts, validEvent)
		for i, sigs := range []string{
			bad + " " + good,
			good + " " + bad,
			"v2,abc " + good,
			"v1 " + good, // an entry without a comma is skipped, not fatal
			"v1a," + strings.TrimPrefix(good, "v1,") + " " + good,
			"v1,!!! " + good,
		} {
			b := setup(t, whsec(keyA))
			res := post(t, b.srv.URL, validEvent, headers("msg_1", ts, sigs))
			if res.status != http.StatusOK {
				t.Fatalf("header %d %q: %d %s, want 200", i, sigs, res.status, res.body)
			}
		}
	})

	t.Run("rotation: several secrets", func(t *testing.T) {
		t.Parallel()
		b := setup(t, whsec(keyA)+"  "+whsec(keyB))
		for i, key := range [][]byte{keyA, keyB} {
			id := "msg_r" + strconv.Itoa(i)
			res := post(t, b.srv.URL, validEvent, headers(id, ts, sign(key, id, ts, validEvent)))
			if res.status != http.StatusOK {
				t.Fatalf("signed with secret %d: %d %s, want 200", i, res.status, res.body)
			}
		}
		post(t, b.srv.URL, validEvent, headers("msg_r2", ts, sign(keyC, "msg_r2", ts, validEvent))).
			wantUnauthorized(t, `Signature realm="dncsync"`)
		if it := claimAll(t, b.q)["+14155552671"]; it.Events != 2 {
			t.Fatalf("entry has %d events, want 2", it.Events)
		}
	})

	t.Run("secret without the whsec_ prefix", func(t *testing.T) {
		t.Parallel()
		b := setup(t, base64.StdEncoding.EncodeToString(keyA))
		if res := post(t, b.srv.URL, validEvent, headers("msg_1", ts, good)); res.status != http.StatusOK {
			t.Fatalf("%d %s, want 200", res.status, res.body)
		}
	})

	// The example of the Standard Webhooks specification, checked independently of sign above.
	t.Run("specification example", func(t *testing.T) {
		t.Parallel()
		v, err := intake.NewStandard("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
		if err != nil {
			t.Fatal(err)
		}
		v.Now = func() time.Time { return time.Unix(1614265330, 0) }
		body := []byte(`{"test": 2432232314}`)
		req := httptest.NewRequest(http.MethodPost, "/webhook/opt-out", nil)
		req.Header.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
		req.Header.Set("webhook-timestamp", "1614265330")
		req.Header.Set("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
		if err := v.Verify(req, body); err != nil {
			t.Fatalf("specification example rejected: %v", err)
		}
		if err := v.Verify(req, append(body, ' ')); err == nil {
			t.Fatal("specification example accepted with another body")
		}
	})
}

func TestNewStandard(t *testing.T) {
	t.Parallel()
	for _, secrets := range []string{
		"",
		"   ",
		"whsec_",
		"whsec_not*base64",
		"whsec_" + base64.StdEncoding.EncodeToString([]byte("ok")) + " whsec_bad%%",
		"whsec_" + base64.RawStdEncoding.EncodeToString([]byte("no padding")),
	} {
		v, err := intake.NewStandard(secrets)
		if err == nil || v != nil {
			t.Errorf("NewStandard(%q) = %v, %v; want an error", secrets, v, err)
			continue
		}
		if !strings.Contains(err.Error(), "DNCSYNC_WEBHOOK_SECRET") {
			t.Errorf("NewStandard(%q) error %q does not name the variable", secrets, err)
		}
		if secrets = strings.TrimSpace(secrets); len(secrets) > len("whsec_") && strings.Contains(err.Error(), secrets) {
			t.Errorf("NewStandard error %q repeats the secret", err)
		}
	}
	short := "whsec_" + base64.StdEncoding.EncodeToString([]byte("fifteen bytes!!"))
	if _, err := intake.NewStandard(short); err == nil || !strings.Contains(err.Error(), "DNCSYNC_WEBHOOK_SECRET") {
		t.Errorf("a 15-byte secret: %v, want refused naming the variable", err)
	}
	v, err := intake.NewStandard(" whsec_" + base64.StdEncoding.EncodeToString([]byte("sixteen bytes!!!")) + "\t")
	if err != nil || v == nil || v.Now == nil {
		t.Fatalf("NewStandard of one valid secret = %v, %v; want a verifier with a clock", v, err)
	}
}

// sign is a Standard Webhooks v1 signature entry.
func sign(key []byte, id, ts, body string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + body))
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func whsec(key []byte) string { return "whsec_" + base64.StdEncoding.EncodeToString(key) }

func tsAt(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// wantUnauthorized checks for a 401 with the challenge and an error.
func (r response) wantUnauthorized(t testing.TB, challenge string) {
	t.Helper()
	got := r.object(t, http.StatusUnauthorized)
	if got["status"] != "error" || !nonEmpty(got["error"]) {
		t.Fatalf("401 body %s, want an error", r.body)
	}
	if c := r.header.Get("WWW-Authenticate"); c != challenge {
		t.Fatalf("WWW-Authenticate %q, want %q", c, challenge)
	}
}
