// Package gate checks the secrets that guard dncsync's own endpoints: one rule for reading a bearer
// token and comparing it (the admin API, the status page, /metrics and token-authenticated
// webhooks), and a Guard that accounts for failed attempts: logged without the secret, counted, and
// answered with a per-client back-off after repeated failures.
package gate

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// Bearer returns the token of r's "Authorization: Bearer <token>" header and whether there is one.
// The scheme is case-insensitive (RFC 9110, 11.1) and may be followed by more than one space; a
// header without a token, or with another scheme, is no bearer token.
func Bearer(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	tok = strings.TrimLeft(tok, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "", false
	}
	return tok, true
}

// Match reports whether got is want. It compares digests, so the time it takes tells neither the
// length of want nor how much of it got shares. An empty want matches nothing: an unset secret
// never opens a door.
func Match(got, want string) bool {
	if want == "" {
		return false
	}
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

// Is reports whether tok is g's secret, without counting anything: for a door with two keys,
// where a key that is not this one may be the other's.
func (g *Guard) Is(tok string) bool { return g.Enabled() && Match(tok, g.token) }
