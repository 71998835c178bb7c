package genesyssim

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"mime"
	"net/http"
	"time"

	"github.com/dncsync/dncsync/internal/simfault"
)

type token struct {
	client  string
	expires time.Time
}

// routeLogin mounts the login host's token endpoint: the client-credentials grant as the Go SDK
// sends it (MyPureCloud/platform-client-sdk-go platformclientv2/configuration.go,
// AuthorizeClientCredentials): POST /oauth/token, the client authenticated with HTTP Basic, the
// form grant_type=client_credentials.
func (s *Server) routeLogin() {
	s.login.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
		rep := s.issueToken(r)
		s.mu.Lock()
		s.stats.Record(KindToken, rep.Status)
		if rep.Status == http.StatusOK {
			s.stats.TokensIssued++
		}
		s.mu.Unlock()
		s.logf("genesyssim: POST /oauth/token -> %d", rep.Status)
		rep.Write(w)
	})
}

func (s *Server) issueToken(r *http.Request) simfault.Reply {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return oauthError(http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded")
	}
	if err := r.ParseForm(); err != nil {
		return oauthError(http.StatusBadRequest, "invalid_request", "unreadable form")
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		return oauthError(http.StatusUnauthorized, "invalid_client", "client authentication is HTTP Basic")
	}
	if subtle.ConstantTimeCompare([]byte(id), []byte(s.cfg.ClientID)) != 1 ||
		subtle.ConstantTimeCompare([]byte(secret), []byte(s.cfg.ClientSecret)) != 1 {
		return oauthError(http.StatusUnauthorized, "invalid_client", "client not found or wrong secret")
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		return oauthError(http.StatusBadRequest, "unsupported_grant_type", "only client_credentials")
	}
	tok := randomHex(24)
	s.mu.Lock()
	s.tokens[tok] = token{client: id, expires: s.now().Add(s.cfg.TokenTTL)}
	s.mu.Unlock()
	return simfault.JSON(http.StatusOK, map[string]any{
		"access_token": tok, "token_type": "bearer", "expires_in": int(s.cfg.TokenTTL / time.Second),
	})
}

// oauthError is the login host's error shape: {"error","description","error_description"}
// (platform-client-sdk-go platformclientv2/configuration.go, AuthErrorResponse).
func oauthError(status int, code, desc string) simfault.Reply {
	return simfault.JSON(status, map[string]string{"error": code, "description": desc, "error_description": desc})
}

// RevokeTokens invalidates every token at once, as a rotated client secret would.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	clear(s.tokens)
	s.mu.Unlock()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails
	return hex.EncodeToString(b)
}
