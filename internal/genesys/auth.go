package genesys

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
)

const credentialVars = "GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET (and GENESYS_REGION)"

// fetchToken logs in with the client-credentials grant, as the Go SDK does
// (platform-client-sdk-go platformclientv2/configuration.go AuthorizeClientCredentials):
// POST {login}/oauth/token, the OAuth client in HTTP Basic, the form grant_type=client_credentials;
// the answer is {"access_token","token_type","expires_in"} and errors
// {"error","description","error_description"} (AuthResponse, AuthErrorResponse). The token cache
// calls it, one at a time.
func (c *Client) fetchToken(ctx context.Context) (destination.Token, error) {
	if c.hostErr != nil {
		return destination.Token{}, c.hostErr
	}
	if c.cfg.ClientID == "" || c.cfg.ClientSecret == "" {
		return destination.Token{}, configError("token", 0, "set "+credentialVars)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.login+"/oauth/token",
		strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	if err != nil {
		return destination.Token{}, configError("token", 0, "check GENESYS_LOGIN_URL (or GENESYS_REGION)")
	}
	req.SetBasicAuth(c.cfg.ClientID, c.cfg.ClientSecret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	resp, err := c.c.HTTP().Do(req.WithContext(ctx))
	if err != nil {
		e := noAnswer("token", err)
		e.Msg = "no answer from the login host " + c.login
		return destination.Token{}, e
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	r := response{Status: resp.StatusCode, Body: body, Header: resp.Header}
	switch {
	case r.Status == http.StatusTooManyRequests:
		// The login host's own limit: wait, without spending attempts.
		return destination.Token{}, &destination.Error{Kind: destination.RateLimited, Dest: Dest, Op: "token", Status: r.Status,
			RetryAfter: max(destination.RetryAfter(r.Header, c.now()), 5*time.Second)}
	case r.Status == http.StatusBadRequest || r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden:
		return destination.Token{}, configError("token", r.Status, "Genesys Cloud refused the OAuth client; check "+credentialVars+oauthReason(body))
	case r.Status == http.StatusNotFound:
		return destination.Token{}, configError("token", r.Status, "no token endpoint at "+c.login+"; check GENESYS_REGION or GENESYS_LOGIN_URL")
	case r.Status != http.StatusOK:
		e := unexpected("token", r)
		return destination.Token{}, e
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if json.Unmarshal(body, &tok) != nil || tok.AccessToken == "" {
		return destination.Token{}, unexpected("token", r)
	}
	ttl := time.Duration(tok.ExpiresIn) * time.Second
	if ttl <= 0 {
		ttl = 5 * time.Minute // no lifetime given: assume a short one rather than forever
	}
	return destination.Token{Value: tok.AccessToken, Expires: time.Now().Add(ttl), TTL: ttl}, nil
}

// oauthReason is the login host's error code as a message suffix; its description may name the
// client, and is left out.
func oauthReason(body []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error == "" {
		return ""
	}
	return " (" + destination.ShortText(e.Error) + ")"
}

// Login gets a token (or reuses the cached one), for readiness.
func (c *Client) Login(ctx context.Context) error {
	_, err := c.c.Tokens().Get(ctx)
	return err
}
