package cxonesim

import (
	"crypto/rand"
	"crypto/subtle"
	"mime"
	"net/http"
	"time"
)

const kindToken = "token"

func (s *Server) routeAuth() {
	s.mux.HandleFunc("POST /api/v2/oauth/token", s.handleToken)
}

// handleToken is the OAuth2 client-credentials grant. It is neither rate
// limited nor subject to faults: the contract's limits cover API calls only.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	rep := s.token(r)
	s.mu.Lock()
	s.stats.record(kindToken, rep.status)
	if rep.status == http.StatusOK {
		s.stats.TokensIssued++
	}
	s.mu.Unlock()
	s.logf("cxonesim: %s %s -> %d", r.Method, r.URL.Path, rep.status)
	rep.write(w)
}

func (s *Server) token(r *http.Request) reply {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return errorReply(http.StatusBadRequest, "invalid_request")
	}
	r.Body = http.MaxBytesReader(nil, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		return errorReply(http.StatusBadRequest, "invalid_request")
	}
	// PostForm, not Form: credentials in the query string are a client bug.
	if r.PostForm.Get("grant_type") != "client_credentials" {
		return errorReply(http.StatusBadRequest, "unsupported_grant_type")
	}
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")

	now := s.now()
	s.mu.Lock()
	tok, ok := s.tokens.issue(id, secret, now)
	s.mu.Unlock()
	if !ok {
		return errorReply(http.StatusUnauthorized, "invalid_client")
	}
	rep := jsonReply(http.StatusOK, tokenResponse{
		AccessToken: tok,
		TokenType:   "bearer",
		ExpiresIn:   int(s.cfg.TokenTTL / time.Second),
	})
	rep.header.Set("Cache-Control", "no-store")
	return rep
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

// RevokeTokens invalidates every issued token; clients must fetch new ones.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	s.tokens.revokeAll()
	s.mu.Unlock()
	s.logf("cxonesim: all tokens revoked")
}

// tokenStore issues and checks bearer tokens. The organization a token
// belongs to keys the rate limit bucket: the client ID for v2 tokens, the
// tenant ID for admin tokens. Not goroutine-safe; the Server's lock guards it.
type tokenStore struct {
	ttl     time.Duration
	clients map[string]string // client ID -> secret
	tokens  map[string]tokenInfo
}

type tokenInfo struct {
	org     string
	profile string // apiProfile.name of the login that issued it
	expires time.Time
}

func newTokenStore(ttl time.Duration, clients map[string]string) *tokenStore {
	return &tokenStore{ttl: ttl, clients: clients, tokens: map[string]tokenInfo{}}
}

// issue returns a new v2 token if id/secret are known client credentials.
func (t *tokenStore) issue(id, secret string, now time.Time) (string, bool) {
	want, known := t.clients[id]
	if !known || !secretEqual(want, secret) {
		return "", false
	}
	tok := rand.Text()
	t.add(tok, tokenInfo{org: id, profile: profileV2.name, expires: now.Add(t.ttl)}, now)
	return tok, true
}

// add records a token minted by a profile's own login.
func (t *tokenStore) add(tok string, info tokenInfo, now time.Time) {
	for old, i := range t.tokens { // keep the map bounded by live tokens
		if !now.Before(i.expires) {
			delete(t.tokens, old)
		}
	}
	t.tokens[tok] = info
}

// lookup returns the organization of a live token issued for profile.
func (t *tokenStore) lookup(tok, profile string, now time.Time) (string, bool) {
	info, ok := t.tokens[tok]
	if !ok || info.profile != profile || !now.Before(info.expires) {
		return "", false
	}
	return info.org, true
}

// secretEqual compares credentials in constant time.
func secretEqual(want, got string) bool {
	return subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

func (t *tokenStore) revoke(tok string) { delete(t.tokens, tok) }

func (t *tokenStore) revokeAll() { clear(t.tokens) }
