package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// A session is a random id with an expiry, signed with a key derived from the admin token, in the
// cookie; signing out records the id as revoked in the store (queue.Sessions). Every replica can
// check a cookie with the token alone and one read of the store, a sign-in writes nothing, and the
// store holds only the sign-outs, each until its session would have expired. A new admin token
// ends every session (the key changes).
const (
	// SessionTTL is how long a sign-in lasts.
	SessionTTL = 12 * time.Hour
	// clockSkew: a revocation outlives its session by this much, for replicas whose clocks differ.
	clockSkew   = 5 * time.Minute
	sessionV    = "v2"
	sessionKeyL = "dncsync console session key v2"
)

type session struct {
	ID      string
	Expires time.Time
}

var b64 = base64.RawURLEncoding

func (h *Handler) sign(id string, exp int64) string {
	m := hmac.New(sha256.New, h.Admin.Key(sessionKeyL))
	m.Write([]byte(sessionV + "." + id + "." + strconv.FormatInt(exp, 10)))
	return b64.EncodeToString(m.Sum(nil))
}

// newSession makes a session that expires SessionTTL after now, and its cookie value.
func (h *Handler) newSession(now time.Time) (session, string) {
	id := make([]byte, 16)
	_, _ = rand.Read(id) // crypto/rand.Read does not fail (it panics if the system cannot supply)
	s := session{ID: b64.EncodeToString(id), Expires: now.Add(SessionTTL).Truncate(time.Second)}
	exp := s.Expires.Unix()
	return s, sessionV + "." + s.ID + "." + strconv.FormatInt(exp, 10) + "." + h.sign(s.ID, exp)
}

// readSession returns r's session when its cookie is well signed and not expired; whether it was
// revoked is the store's to say.
func (h *Handler) readSession(r *http.Request, now time.Time) (session, bool) {
	c, err := r.Cookie(cookieName)
	if err != nil || !h.Admin.Enabled() || len(c.Value) > 200 {
		return session{}, false
	}
	parts := strings.Split(c.Value, ".")
	if len(parts) != 4 || parts[0] != sessionV {
		return session{}, false
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || !hmac.Equal([]byte(parts[3]), []byte(h.sign(parts[1], exp))) {
		return session{}, false
	}
	s := session{ID: parts[1], Expires: time.Unix(exp, 0)}
	if !now.Before(s.Expires) {
		return session{}, false
	}
	return s, true
}

func (h *Handler) setCookie(w http.ResponseWriter, r *http.Request, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: value, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: secureRequest(r), MaxAge: maxAge})
}

// secureRequest reports whether r reached us over HTTPS: directly, or through a proxy that says so
// (X-Forwarded-Proto or Forwarded: proto=, in any casing; the first hop's, the client's). The
// cookie is then Secure. A client that lies gets a cookie its browser will not send over HTTP.
func secureRequest(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if v := r.Header.Get("X-Forwarded-Proto"); v != "" {
		first, _, _ := strings.Cut(v, ",")
		if strings.EqualFold(strings.TrimSpace(first), "https") {
			return true
		}
	}
	if v := r.Header.Get("Forwarded"); v != "" { // RFC 7239: elements by ",", pairs by ";"
		first, _, _ := strings.Cut(v, ",")
		for _, pair := range strings.Split(first, ";") {
			k, val, _ := strings.Cut(strings.TrimSpace(pair), "=")
			if strings.EqualFold(k, "proto") && strings.EqualFold(strings.Trim(val, `"`), "https") {
				return true
			}
		}
	}
	return false
}

// errOtherSite refuses a form posted from another site.
var errOtherSite = errors.New("the form was posted from another site")

// sameOrigin refuses a cross-site post of the sign-in or sign-out form (CSRF): Go's check of
// Sec-Fetch-Site and Origin against Host (net/http.CrossOriginProtection; DNCSYNC_PUBLIC_URL's
// origin is trusted too), and, from a browser that sends neither, the Referer's host. A request
// with none of them is not a browser's and is let through.
func (h *Handler) sameOrigin(r *http.Request) error {
	if err := h.csrf.Check(r); err != nil {
		return errOtherSite
	}
	if r.Header.Get("Sec-Fetch-Site") != "" || r.Header.Get("Origin") != "" {
		return nil
	}
	if ref := r.Header.Get("Referer"); ref != "" {
		u, err := url.Parse(ref)
		if err != nil || (u.Host != r.Host && (h.public == nil || u.Host != h.public.Host)) {
			return errOtherSite
		}
	}
	return nil
}
