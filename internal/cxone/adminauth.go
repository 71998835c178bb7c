package cxone

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"github.com/dncsync/dncsync/internal/destination/httpcall"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
)

const (
	accessKeyVars = "CXONE_ACCESS_KEY_ID and CXONE_ACCESS_KEY_SECRET"
	appVars       = "CXONE_ACCESS_KEY_ID, CXONE_ACCESS_KEY_SECRET, CXONE_CLIENT_ID and CXONE_CLIENT_SECRET"
)

// fetchToken logs in with the access key: directly, or as a registered application when a client
// id and secret are configured. TokenCache calls it, one at a time.
func (a *Admin) fetchToken(ctx context.Context) (Token, error) {
	if a.cfg.AccessKeyID == "" || a.cfg.AccessKeySecret == "" {
		return Token{}, &Error{Kind: Config, Op: "token", Msg: "set " + accessKeyVars}
	}
	if (a.cfg.ClientID == "") != (a.cfg.ClientSecret == "") {
		return Token{}, &Error{Kind: Config, Op: "token",
			Msg: "set both CXONE_CLIENT_ID and CXONE_CLIENT_SECRET (registered application), or neither"}
	}
	if a.cfg.ClientID != "" {
		return a.passwordGrant(ctx)
	}
	// POST {regional host}/authentication/v1/token/access-key with a JSON body
	// {"accessKeyId","accessKeySecret"} (singer-io/tap-nice-incontact tap_nice_incontact/client.py
	// _ensure_access_token; outboundani/cxone-mcp src/cxone.js session).
	body, err := json.Marshal(struct {
		ID     string `json:"accessKeyId"`
		Secret string `json:"accessKeySecret"`
	}{a.cfg.AccessKeyID, a.cfg.AccessKeySecret})
	if err != nil {
		return Token{}, &Error{Kind: Config, Op: "token", Msg: "encode the access key", Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.auth+"/authentication/v1/token/access-key",
		bytes.NewReader(body))
	if err != nil {
		return Token{}, &Error{Kind: Config, Op: "token", Msg: "check CXONE_AUTH_URL (or CXONE_REGION)", Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	tok, err := readToken(a.c.HTTP(), req, accessKeyVars)
	if e := (*Error)(nil); errors.As(err, &e) && e.Status == http.StatusNotFound {
		// Not a login host at all: the deployment's setting, not a passing fault.
		e.Kind = Config
		e.Msg = "no access-key login at " + a.auth + "; check CXONE_REGION or CXONE_AUTH_URL: " + e.Msg
	}
	return tok, err
}

// passwordGrant logs in as a registered application: the access key is the user and password of
// an OAuth2 password grant at the token endpoint the OpenID configuration names (Cognigy/Extensions
// extensions/cxone/src/api/cxone-api-client.ts getToken; calljacob/nice-cxone-api
// AuthenticationGlobalauthenticationService.ts tokenAccessKeyRequest). The application
// authenticates with HTTP Basic or, for client_secret_post, with client_id and client_secret in
// the form.
func (a *Admin) passwordGrant(ctx context.Context) (Token, error) {
	endpoint, err := a.tokenEndpoint.get(ctx, "token", a.discoverTokenEndpoint)
	if err != nil {
		return Token{}, err
	}
	form := url.Values{"grant_type": {"password"}, "username": {a.cfg.AccessKeyID},
		"password": {a.cfg.AccessKeySecret}}
	if a.cfg.ClientAuthMethod == ClientSecretPost {
		form.Set("client_id", a.cfg.ClientID)
		form.Set("client_secret", a.cfg.ClientSecret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return Token{}, &Error{Kind: Transient, Op: "token", Msg: "unusable token_endpoint", Err: err}
	}
	if a.cfg.ClientAuthMethod != ClientSecretPost {
		req.SetBasicAuth(a.cfg.ClientID, a.cfg.ClientSecret)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	tok, err := readToken(a.c.HTTP(), req, appVars+" (and CXONE_CLIENT_AUTH_METHOD, now "+a.cfg.ClientAuthMethod+")")
	if KindOf(err) == Transient && err != nil {
		a.tokenEndpoint.reset() // the endpoint may have moved: read the configuration again next time
	}
	return tok, err
}

// discoverTokenEndpoint reads token_endpoint from the global host's OpenID configuration.
func (a *Admin) discoverTokenEndpoint(ctx context.Context) (string, error) {
	var doc struct {
		TokenEndpoint string `json:"token_endpoint"`
	}
	r, err := a.wellKnown(ctx, "token", a.discovery+"/.well-known/openid-configuration", &doc)
	if err != nil {
		return "", err
	}
	u, ok := absoluteURL(doc.TokenEndpoint)
	if !ok {
		return "", unexpected("token", r)
	}
	return u, nil
}

// discoverAPI finds the tenant's API host: the tenant is a claim of the id_token (or else of the
// access token), and the global host's CXone configuration maps it to the API endpoint
// (GET /.well-known/cxone-configuration?tenantId=, answering api_endpoint).
func (a *Admin) discoverAPI(ctx context.Context) (string, error) {
	tok, err := a.c.Tokens().Token(ctx)
	if err != nil {
		return "", err
	}
	tenant, why := tenantOf(tok)
	if tenant == "" {
		return "", &Error{Kind: Config, Op: "discover",
			Msg: "no tenantId claim to discover the API host with: " + why + "; set CXONE_API_BASE"}
	}
	var doc struct {
		APIEndpoint string `json:"api_endpoint"`
	}
	r, err := a.wellKnown(ctx, "discover",
		a.discovery+"/.well-known/cxone-configuration?"+url.Values{"tenantId": {tenant}}.Encode(), &doc)
	if err != nil {
		return "", err
	}
	u, ok := absoluteURL(doc.APIEndpoint)
	if !ok {
		return "", unexpected("discover", r)
	}
	a.tenant.Store(&tenant)
	return configuredAPIBase(u), nil
}

// tenantOf reads tenantId from the id_token first, then from the access token, the order
// outboundani/cxone-mcp src/cxone.js session uses (Cognigy/Extensions
// extensions/cxone/src/api/cxone-api-client.ts reads the id_token only). When neither has it, why
// says what each lacked.
func tenantOf(tok Token) (tenant, why string) {
	idWhy := "the login answer has no id_token"
	if tok.IDToken != "" {
		t, w := tenantClaim(tok.IDToken)
		if t != "" {
			return t, ""
		}
		idWhy = "the id_token " + w
	}
	t, w := tenantClaim(tok.Value)
	if t != "" {
		return t, ""
	}
	return "", idWhy + ", and the access token " + w
}

// tenantClaim reads the tenantId claim of a JWT. The signature is not checked: the token came from
// the authentication host over TLS, and the claim only picks which discovery document to read.
// why says what was wrong when there is no claim.
func tenantClaim(jwt string) (tenant, why string) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return "", "is not a JWT"
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return "", "is not a JWT"
	}
	var claims struct {
		TenantID flexString `json:"tenantId"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return "", "is not a JWT"
	}
	if t := strings.TrimSpace(string(claims.TenantID)); t != "" {
		return t, ""
	}
	return "", "has no tenantId claim"
}

// wellKnown reads one document from the global host. Its failures are Config (the host or tenant
// is wrong) or Transient, never Permanent: they are no item's fault.
func (a *Admin) wellKnown(ctx context.Context, op, u string, into any) (response, error) {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return response{}, &Error{Kind: Config, Op: op, Msg: "check CXONE_DISCOVERY_URL", Err: err}
	}
	req.Header.Set("Accept", "application/json")
	resp, err := a.c.HTTP().Do(req)
	if err != nil {
		return response{}, httpcall.TransportError("", op, "no answer from the discovery host", err)
	}
	defer resp.Body.Close()
	r := response{Status: resp.StatusCode, Body: readSome(resp), Header: resp.Header}
	switch r.Status {
	case http.StatusOK:
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusGone:
		e := unexpected(op, r)
		e.Kind = Config
		e.Msg = "discovery refused; check CXONE_DISCOVERY_URL (or set CXONE_API_BASE): " + e.Msg
		return r, e
	default:
		return r, unexpected(op, r)
	}
	if json.Unmarshal(r.Body, into) != nil {
		return r, unexpected(op, r)
	}
	return r, nil
}

// absoluteURL accepts an http(s) URL with a host, without a trailing slash.
func absoluteURL(s string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", false
	}
	return strings.TrimRight(u.String(), "/"), true
}

// lazyValue caches a discovered value: once found it is reused; a failure goes to the caller and
// the next call tries again. One discovery runs at a time, and waiting for it honours ctx.
type lazyValue struct {
	sem chan struct{} // held while discovering
	val atomic.Pointer[string]
}

func newLazyValue() *lazyValue { return &lazyValue{sem: make(chan struct{}, 1)} }

func (l *lazyValue) set(v string) { l.val.Store(&v) }

func (l *lazyValue) reset() { l.val.Store(nil) }

func (l *lazyValue) get(ctx context.Context, op string, find func(context.Context) (string, error)) (string, error) {
	if v := l.val.Load(); v != nil {
		return *v, nil
	}
	select {
	case l.sem <- struct{}{}:
	case <-ctx.Done():
		return "", &Error{Kind: Transient, Op: op, Msg: "waiting for discovery", Err: ctx.Err()}
	}
	defer func() { <-l.sem }()
	if v := l.val.Load(); v != nil {
		return *v, nil // another caller found it while this one waited
	}
	v, err := find(ctx)
	if err != nil {
		return "", err
	}
	l.set(v)
	return v, nil
}
