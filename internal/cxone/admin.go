package cxone

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// AdminConfig configures the admin profile (the real CXone Admin API's DNC groups).
type AdminConfig struct {
	AuthURL         string // CXONE_AUTH_URL; default https://cxone.niceincontact.com
	AccessKeyID     string // CXONE_ACCESS_KEY_ID
	AccessKeySecret string // CXONE_ACCESS_KEY_SECRET
	// ClientID and ClientSecret (CXONE_CLIENT_ID, CXONE_CLIENT_SECRET) are optional: set both to
	// log in as a registered application (password grant at the discovered token endpoint).
	ClientID, ClientSecret string
	APIBase                string        // CXONE_API_BASE; empty: discovered from the token's tenant
	APIVersion             string        // CXONE_API_VERSION; default v33.0
	GroupID                string        // CXONE_DNC_GROUP_ID
	ExpiresAfter           time.Duration // DNCSYNC_DNC_EXPIRES_AFTER; 0: no expiry unless the contact has one
	Pacer                  Pacer
	HTTP                   *http.Client  // default: a client without its own timeout
	Timeout                time.Duration // per request; default 15 s
}

// DefaultAuthURL is CXone's global authentication host.
const DefaultAuthURL = "https://cxone.niceincontact.com"

// DefaultAdminAPIVersion is the Admin API version used when CXONE_API_VERSION is unset.
const DefaultAdminAPIVersion = "v33.0"

// Admin is the admin profile client.
type Admin struct {
	cfg  AdminConfig
	auth string // AuthURL without a trailing slash
	c    caller
	now  func() time.Time

	tokenEndpoint *lazyValue // app mode: from the OpenID configuration
	apiBase       *lazyValue // from CXONE_API_BASE or the tenant's configuration
}

var _ Client = (*Admin)(nil)

// NewAdmin returns an admin client. Nothing is sent until the first call.
func NewAdmin(cfg AdminConfig) *Admin {
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.AuthURL == "" {
		cfg.AuthURL = DefaultAuthURL
	}
	cfg.APIVersion = strings.TrimSpace(cfg.APIVersion)
	switch {
	case cfg.APIVersion == "":
		cfg.APIVersion = DefaultAdminAPIVersion
	case cfg.APIVersion[0] != 'v' && cfg.APIVersion[0] != 'V':
		cfg.APIVersion = "v" + cfg.APIVersion // "33.0" would otherwise be a 404 on every call
	}
	a := &Admin{cfg: cfg, auth: strings.TrimRight(cfg.AuthURL, "/"), now: time.Now,
		tokenEndpoint: newLazyValue(), apiBase: newLazyValue()}
	if base := configuredAPIBase(cfg.APIBase); base != "" {
		a.apiBase.set(base)
	}
	a.c = caller{http: cfg.HTTP, pacer: cfg.Pacer, timeout: cfg.Timeout, tokens: NewTokenCache(a.fetchToken),
		header: http.Header{"Accept": {"application/json"}}}
	return a
}

// configuredAPIBase trims CXONE_API_BASE to the host part: operators often copy the resource base
// URI, which already ends in /inContactAPI, and the path would then be doubled.
func configuredAPIBase(s string) string {
	s = strings.TrimRight(strings.TrimSpace(s), "/")
	if i := len(s) - len("/inContactAPI"); i >= 0 && strings.EqualFold(s[i:], "/inContactAPI") {
		s = s[:i]
	}
	return s
}

// Login gets a token and the API host, so that readiness covers both.
func (a *Admin) Login(ctx context.Context) error {
	if _, err := a.c.tokens.Get(ctx); err != nil {
		return err
	}
	_, err := a.servicesURL(ctx)
	return err
}

// servicesURL is {api}/inContactAPI/services/{version}, discovering the API host when needed.
func (a *Admin) servicesURL(ctx context.Context) (string, error) {
	base, err := a.apiBase.get(ctx, "discover", a.discoverAPI)
	if err != nil {
		return "", err
	}
	return base + "/inContactAPI/services/" + url.PathEscape(a.cfg.APIVersion), nil
}

// recordsURL is the configured DNC group's records collection.
func (a *Admin) recordsURL(ctx context.Context, op string) (string, error) {
	if a.cfg.GroupID == "" {
		return "", &Error{Kind: Config, Op: op, Msg: "CXONE_DNC_GROUP_ID is not set"}
	}
	s, err := a.servicesURL(ctx)
	if err != nil {
		return "", err
	}
	return s + "/dnc-groups/" + url.PathEscape(a.cfg.GroupID) + "/records", nil
}

// flexString reads a JSON string or number as text: public clients of the real API send and
// receive phone numbers and ids as either.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = flexString(n.String())
	return nil
}

// numberKey reduces a number as CXone writes it (digits, "+1 (415) 555-2671", a JSON number) to
// the digits we send: NANP numbers as 10 digits. Country code 1 is NANP only, so an 11-digit
// string starting with 1 is always NANP.
func numberKey(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	d := b.String()
	if len(d) == 11 && d[0] == '1' {
		d = d[1:]
	}
	return d
}

// digitsToE164 turns CXone's digits back into E.164: 10 digits are NANP, anything else is taken
// as the full international number.
func digitsToE164(s string) string {
	d := numberKey(s)
	switch {
	case d == "":
		return ""
	case len(d) == 10:
		return "+1" + d
	}
	return "+" + d
}

// shortText trims CXone's free text for an error message.
func shortText(s string) string {
	s = redactNumbers(strings.Join(strings.Fields(s), " ")) // before cutting, which could split a number
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return s
}

// pageQuery is ?skip=..&top=.. for list calls.
func pageQuery(skip, top int) string {
	return "?" + url.Values{"skip": {strconv.Itoa(skip)}, "top": {strconv.Itoa(top)}}.Encode()
}
