package cxonesim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
)

// Subscription is an event subscription as created through the API.
type Subscription struct {
	ID          string       `json:"id"`
	Org         string       `json:"org"`
	Name        string       `json:"name"`
	EventTypes  []string     `json:"eventTypes"`
	CallbackURL string       `json:"callbackUrl"`
	Enabled     bool         `json:"enabled"`
	RetryPolicy *RetryPolicy `json:"retryPolicy,omitempty"`
}

// RetryPolicy is a subscription's delivery retry policy.
type RetryPolicy struct {
	MaxRetries int `json:"maxRetries"`
	Interval   int `json:"interval"` // seconds
}

func (s *Server) v2Subscribe(r *http.Request, org string) reply {
	body, bad := readJSONBody(r)
	if bad != nil {
		return *bad
	}
	if err := checkKeys(body, "name", "eventTypes", "callbackUrl", "enabled", "retryPolicy"); err != nil {
		return errorReply(http.StatusBadRequest, "%v", err)
	}
	var req struct {
		Name        string          `json:"name"`
		EventTypes  []string        `json:"eventTypes"`
		CallbackURL string          `json:"callbackUrl"`
		Enabled     bool            `json:"enabled"`
		RetryPolicy json.RawMessage `json:"retryPolicy"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return errorReply(http.StatusBadRequest, "invalid JSON: %v", err)
	}
	sub := Subscription{Org: org, Name: req.Name, EventTypes: req.EventTypes, CallbackURL: req.CallbackURL, Enabled: req.Enabled}
	if len(req.RetryPolicy) > 0 && string(req.RetryPolicy) != "null" {
		if err := checkKeys(req.RetryPolicy, "maxRetries", "interval"); err != nil {
			return errorReply(http.StatusBadRequest, "retryPolicy: %v", err)
		}
		sub.RetryPolicy = new(RetryPolicy)
		if err := json.Unmarshal(req.RetryPolicy, sub.RetryPolicy); err != nil {
			return errorReply(http.StatusBadRequest, "retryPolicy: %v", err)
		}
	}
	if err := sub.validate(); err != nil {
		return errorReply(http.StatusBadRequest, "%v", err)
	}

	s.mu.Lock()
	sub.ID = fmt.Sprintf("sub-%04d", len(s.subs)+1)
	s.subs = append(s.subs, sub)
	s.stats.Subscriptions++
	s.mu.Unlock()
	return jsonReply(http.StatusCreated, struct {
		ID string `json:"id"`
	}{sub.ID})
}

func (sub *Subscription) validate() error {
	if sub.Name == "" {
		return errors.New("name is required")
	}
	if len(sub.EventTypes) == 0 {
		return errors.New("eventTypes must not be empty")
	}
	if slices.Contains(sub.EventTypes, "") {
		return errors.New("eventTypes must not contain empty names")
	}
	u, err := url.Parse(sub.CallbackURL)
	if err != nil || !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("callbackUrl must be an absolute http(s) URL, got %q", sub.CallbackURL)
	}
	if p := sub.RetryPolicy; p != nil && (p.MaxRetries < 0 || p.Interval < 0) {
		return errors.New("retryPolicy values must not be negative")
	}
	return nil
}

// Subscriptions returns the event subscriptions created so far.
func (s *Server) Subscriptions() []Subscription {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Subscription, len(s.subs))
	for i, sub := range s.subs {
		sub.EventTypes = slices.Clone(sub.EventTypes)
		if sub.RetryPolicy != nil {
			p := *sub.RetryPolicy
			sub.RetryPolicy = &p
		}
		out[i] = sub
	}
	return out
}
