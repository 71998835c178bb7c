package cxone

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/destination/httpcall"
)

// V2Config configures the v2 profile (the tutorial's Outbound DNC API contract).
type V2Config struct {
	BaseURL      string // CXONE_BASE_URL
	ClientID     string // CXONE_CLIENT_ID
	ClientSecret string // CXONE_CLIENT_SECRET
	ListID       string // CXONE_DNC_LIST_ID
	Pacer        Pacer
	HTTP         *http.Client  // default: a client without its own timeout
	Timeout      time.Duration // per request; default 15 s
}

// V2 is the v2 profile client.
type V2 struct {
	cfg  V2Config
	base string
	c    caller
}

var _ Client = (*V2)(nil)

// apiVersion is the X-CXone-Version header the v2 contract requires.
const apiVersion = "2023-10-01"

// NewV2 returns a v2 client.
func NewV2(cfg V2Config) *V2 {
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	v := &V2{cfg: cfg, base: strings.TrimRight(cfg.BaseURL, "/")}
	v.c = newCaller(cfg.HTTP, cfg.Pacer, cfg.Timeout, NewTokenCache(v.fetchToken),
		http.Header{"X-Cxone-Version": {apiVersion}, "Accept": {"application/json"}})
	return v
}

func (v *V2) fetchToken(ctx context.Context) (Token, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {v.cfg.ClientID},
		"client_secret": {v.cfg.ClientSecret}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.base+"/api/v2/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		return Token{}, &Error{Kind: Config, Op: "token", Msg: "check CXONE_BASE_URL", Err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	return readToken(v.c.HTTP(), req, "CXONE_CLIENT_ID and CXONE_CLIENT_SECRET")
}

// readToken sends a token request and reads an OAuth token answer.
func readToken(hc *http.Client, req *http.Request, vars string) (Token, error) {
	resp, err := hc.Do(req)
	if err != nil {
		return Token{}, httpcall.TransportError("", "token", "no answer from the token endpoint", err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
		IDToken     string `json:"id_token"`
	}
	r := response{Status: resp.StatusCode, Header: resp.Header}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		// The token endpoint's own limit: wait, without spending attempts.
		return Token{}, &Error{Kind: RateLimited, Op: "token", Status: resp.StatusCode,
			RetryAfter: max(destination.RetryAfter(resp.Header, time.Now()), 5*time.Second)}
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusForbidden:
		return Token{}, &Error{Kind: Config, Op: "token", Status: resp.StatusCode,
			Msg: "CXone refused the credentials; check " + vars}
	case resp.StatusCode != http.StatusOK:
		r.Body = readSome(resp)
		return Token{}, unexpected("token", r)
	}
	r.Body = readSome(resp)
	if json.Unmarshal(r.Body, &body) != nil || body.AccessToken == "" {
		return Token{}, unexpected("token", r)
	}
	ttl := time.Duration(body.ExpiresIn) * time.Second
	if ttl <= 0 {
		ttl = 5 * time.Minute // no lifetime given: assume a short one rather than forever
	}
	return Token{Value: body.AccessToken, Expires: time.Now().Add(ttl), TTL: ttl, IDToken: body.IDToken}, nil
}

func readSome(resp *http.Response) []byte {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return b
}

// Login fetches a token.
func (v *V2) Login(ctx context.Context) error {
	_, err := v.c.Tokens().Get(ctx)
	return err
}

func (v *V2) contactsURL() string {
	return v.base + "/api/v2/outbound/dnc-lists/" + url.PathEscape(v.cfg.ListID) + "/contacts"
}

func (v *V2) contactURL(number string) string {
	return v.contactsURL() + "/" + url.PathEscape(number)
}

type v2Contact struct {
	PhoneNumber string `json:"phoneNumber"`
	Reason      string `json:"reason,omitempty"`
	Source      string `json:"source,omitempty"`
}

// Add posts the batch. On 409 it pushes the numbers that did not conflict again and upserts each
// conflicting one (already on the list is a success). A 400 on a batch of several is split in
// halves so that one number CXone refuses cannot fail the others.
func (v *V2) Add(ctx context.Context, contacts []Contact) []error {
	for i := range contacts {
		contacts[i].ExpiresAt = time.Time{} // the v2 contract has no expiry: the entry never ends
	}
	out := make([]error, len(contacts))
	idx := make([]int, len(contacts))
	for i := range idx {
		idx[i] = i
	}
	v.add(ctx, contacts, idx, out, &destination.Probe{})
	return out
}

func (v *V2) add(ctx context.Context, all []Contact, idx []int, out []error, probe *destination.Probe) {
	var conflicts []int
	for len(idx) > 0 {
		if probe.Exhausted() {
			setAll(out, idx, destination.Unsent("", "add"))
			return
		}
		body := struct {
			Contacts []v2Contact `json:"contacts"`
		}{make([]v2Contact, len(idx))}
		for j, i := range idx {
			body.Contacts[j] = v2Contact{PhoneNumber: all[i].Number, Reason: all[i].Reason, Source: all[i].Source}
		}
		r, err := v.c.do(ctx, "add", http.MethodPost, v.contactsURL(), body)
		if err != nil {
			setAll(out, idx, err)
			return
		}
		switch {
		case r.Status == http.StatusOK || r.Status == http.StatusCreated:
			probe.Accepted()
			setAll(out, idx, nil)
			idx = nil
		case r.Status == http.StatusConflict:
			in, rest, ok := splitConflicts(r.Body, all, idx)
			if !ok {
				setAll(out, idx, unexpected("add", r))
				return
			}
			conflicts = append(conflicts, in...)
			idx = rest
		case (r.Status == http.StatusBadRequest || r.Status == http.StatusUnprocessableEntity ||
			r.Status == http.StatusRequestEntityTooLarge) && len(idx) > 1:
			h := len(idx) / 2
			v.add(ctx, all, idx[:h], out, probe)
			v.add(ctx, all, idx[h:], out, probe)
			idx = nil
		default:
			err := statusError("add", r)
			if err.Kind == Refused {
				probe.Refused()
			}
			setAll(out, idx, err)
			return
		}
	}
	for n, i := range conflicts {
		out[i] = v.upsert(ctx, all[i])
		if KindOf(out[i]) == RateLimited {
			setAll(out, conflicts[n+1:], out[i]) // the pause applies to the rest: do not spend them
			return
		}
	}
}

// splitConflicts reads a 409 answer: the listed numbers among idx, and the others. ok is false
// when the answer names none of them, which would otherwise loop.
func splitConflicts(body []byte, all []Contact, idx []int) (in, rest []int, ok bool) {
	var ans struct {
		Conflicts []struct {
			ContactID string `json:"contactId"`
		} `json:"conflicts"`
	}
	if json.Unmarshal(body, &ans) != nil {
		return nil, nil, false
	}
	listed := make(map[string]bool, len(ans.Conflicts))
	for _, c := range ans.Conflicts {
		listed[c.ContactID] = true
	}
	for _, i := range idx {
		if listed[all[i].Number] {
			in = append(in, i)
		} else {
			rest = append(rest, i)
		}
	}
	return in, rest, len(in) > 0
}

func (v *V2) upsert(ctx context.Context, c Contact) error {
	body := v2Contact{PhoneNumber: c.Number, Reason: c.Reason}
	r, err := v.c.do(ctx, "upsert", http.MethodPut, v.contactURL(c.Number), body)
	if err != nil {
		return err
	}
	if r.Status == http.StatusOK || r.Status == http.StatusCreated || r.Status == http.StatusNoContent {
		return nil
	}
	return statusError("upsert", r)
}

// Remove deletes each number; 404 (not there) is a success.
func (v *V2) Remove(ctx context.Context, contacts []Contact) []error {
	out := make([]error, len(contacts))
	var probe destination.Probe
	for i, c := range contacts {
		if probe.Exhausted() {
			out[i] = destination.Unsent("", "remove")
			continue
		}
		r, err := v.c.do(ctx, "remove", http.MethodDelete, v.contactURL(c.Number), nil)
		switch {
		case err != nil:
			out[i] = err
		case r.Status == http.StatusNoContent || r.Status == http.StatusOK || r.Status == http.StatusNotFound:
			probe.Accepted()
		default:
			e := statusError("remove", r)
			if e.Kind == Refused {
				probe.Refused()
			}
			out[i] = e
		}
		if KindOf(out[i]) == RateLimited {
			for j := i + 1; j < len(out); j++ {
				out[j] = out[i]
			}
			break
		}
	}
	return out
}

// Subscribe registers the event subscription that sends CXone opt-outs to callbackURL.
func (v *V2) Subscribe(ctx context.Context, name, callbackURL string) (string, error) {
	body := map[string]any{
		"name":        name,
		"eventTypes":  []string{"contact.opt_out", "contact.do_not_call.add"},
		"callbackUrl": callbackURL,
		"enabled":     true,
		"retryPolicy": map[string]int{"maxRetries": 3, "interval": 60},
	}
	r, err := v.c.do(ctx, "subscribe", http.MethodPost, v.base+"/api/v2/event-subscriptions", body)
	if err != nil {
		return "", err
	}
	if r.Status != http.StatusOK && r.Status != http.StatusCreated {
		return "", statusError("subscribe", r)
	}
	var ans struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(r.Body, &ans) != nil || ans.ID == "" {
		return "", fmt.Errorf("cxone subscribe: %w", errNoJSON)
	}
	return ans.ID, nil
}

func setAll(out []error, idx []int, err error) {
	for _, i := range idx {
		out[i] = err
	}
}
