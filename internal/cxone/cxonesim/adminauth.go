package cxonesim

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"mime"
	"net/http"
	"time"
)

// The access-key login is on the regional login host, the password grant on
// the global host (hosts.go).
func (s *Server) routeAdminAuth() {
	s.loginMux.HandleFunc("POST /authentication/v1/token/access-key", s.unmetered(kindAdminToken, s.accessKeyLogin))
	s.discoveryMux.HandleFunc("POST /auth/token", s.unmetered(kindAdminPasswordToken, s.passwordLogin))
}

// Registered-application authentication methods (the spec's Integrations
// AUTHMETHOD: client_secret_post or client_secret_basic).
const (
	clientSecretBasic = "client_secret_basic"
	clientSecretPost  = "client_secret_post"
)

// accessKeyLogin is POST /authentication/v1/token/access-key with the JSON
// body {"accessKeyId","accessKeySecret"}.
func (s *Server) accessKeyLogin(r *http.Request) reply {
	body, bad := readJSONBody(r)
	if bad != nil {
		return *bad
	}
	if err := checkKeys(body, "accessKeyId", "accessKeySecret"); err != nil {
		return errorReply(http.StatusBadRequest, "%v", err)
	}
	var req struct {
		ID     string `json:"accessKeyId"`
		Secret string `json:"accessKeySecret"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return errorReply(http.StatusBadRequest, "invalid JSON: %v", err)
	}
	if !s.accessKeyOK(req.ID, req.Secret) {
		return errorReply(http.StatusUnauthorized, "invalid_grant")
	}
	return s.adminToken(r, req.ID)
}

// passwordLogin is the registered application's OAuth2 password grant at the
// token_endpoint: the access key travels as username and password in the form
// body; the application authenticates the way it is registered
// (Config.AppAuthMethod): HTTP Basic, or client_id and client_secret in the
// form.
func (s *Server) passwordLogin(r *http.Request) reply {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return errorReply(http.StatusBadRequest, "invalid_request")
	}
	r.Body = http.MaxBytesReader(nil, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		return errorReply(http.StatusBadRequest, "invalid_request")
	}
	id, secret, basic := r.BasicAuth()
	if s.cfg.AppAuthMethod == clientSecretPost {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	wrongMethod := basic == (s.cfg.AppAuthMethod == clientSecretPost)
	if wrongMethod || !secretEqual(s.cfg.AppClientID, id) || !secretEqual(s.cfg.AppClientSecret, secret) {
		rep := errorReply(http.StatusUnauthorized, "invalid_client")
		rep.header.Set("WWW-Authenticate", `Basic realm="cxone"`)
		return rep
	}
	// PostForm, not Form: credentials in the query string are a client bug.
	if r.PostForm.Get("grant_type") != "password" {
		return errorReply(http.StatusBadRequest, "unsupported_grant_type")
	}
	user := r.PostForm.Get("username")
	if !s.accessKeyOK(user, r.PostForm.Get("password")) {
		return errorReply(http.StatusUnauthorized, "invalid_grant")
	}
	return s.adminToken(r, user)
}

func (s *Server) accessKeyOK(id, secret string) bool {
	// Both compared, always: no early exit that times which one was wrong.
	idOK := secretEqual(s.cfg.AccessKeyID, id)
	return secretEqual(s.cfg.AccessKeySecret, secret) && idOK
}

// adminTokenResponse is the spec's token answer (calljacob/nice-cxone-api
// src/services/auth/AuthenticationGlobalauthenticationService.ts getToken).
type adminTokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	IDToken      string `json:"id_token"`
	RefreshToken string `json:"refresh_token"`
}

// jwtClaims are what the simulator puts in its tokens. Clients read tenantId
// from the id_token (and iss, the global host, as Cognigy's extension does).
type jwtClaims struct {
	Issuer   string `json:"iss"`
	Subject  string `json:"sub"`
	Audience string `json:"aud,omitempty"`
	TenantID string `json:"tenantId,omitempty"`
	IssuedAt int64  `json:"iat"`
	Expires  int64  `json:"exp"`
	ID       string `json:"jti"`
}

// adminToken issues an access token and an id_token for the configured
// tenant to subject. tenantId is a claim of the id_token; lenient mode puts
// it in the access token too.
func (s *Server) adminToken(r *http.Request, subject string) reply {
	now := s.now()
	exp := now.Add(s.cfg.TokenTTL)
	issuer := s.hostURL(r, func(h Hosts) string { return h.Discovery })
	claims := jwtClaims{Issuer: issuer, Subject: "user:" + subject, IssuedAt: now.Unix(), Expires: exp.Unix(), ID: rand.Text()}
	if s.cfg.Lenient {
		claims.TenantID = s.cfg.TenantID
	}
	access := unsignedJWT(claims)
	claims.Audience, claims.ID, claims.TenantID = subject, rand.Text(), s.cfg.TenantID
	id := unsignedJWT(claims)

	s.mu.Lock()
	s.tokens.add(access, tokenInfo{org: s.cfg.TenantID, profile: profileAdmin.name, expires: exp}, now)
	s.stats.TokensIssued++
	s.mu.Unlock()
	rep := jsonReply(http.StatusOK, adminTokenResponse{
		AccessToken:  access,
		TokenType:    "Bearer",
		ExpiresIn:    int(s.cfg.TokenTTL / time.Second),
		IDToken:      id,
		RefreshToken: rand.Text(),
	})
	rep.header.Set("Cache-Control", "no-store")
	return rep
}

// unsignedJWT renders claims as a compact JWT whose signature is random
// bytes: clients decode the payload but cannot verify it.
func unsignedJWT(claims jwtClaims) string {
	enc := base64.RawURLEncoding
	header, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": "cxonesim"})
	payload, err := json.Marshal(claims)
	if err != nil {
		panic("cxonesim: marshal claims: " + err.Error())
	}
	sig := make([]byte, 64)
	_, _ = rand.Read(sig)
	return enc.EncodeToString(header) + "." + enc.EncodeToString(payload) + "." + enc.EncodeToString(sig)
}
