// Package consent is the one place that says whether a person may be contacted: the scope an
// opt-out or a consent names (channel, purpose, brand), the revoke-all policy in force when it was
// received, and the decision that reads a number's history of requests and answers a query (this
// channel, for this purpose, for this brand, at this time) with the request that decided it.
//
// Where a rule is unclear it is read the way that keeps the person from being contacted: a query
// that does not say its purpose or brand is blocked by an opt-out of any purpose or brand, and a
// consent lifts an opt-out only when the consent's scope covers the whole of the opt-out's.
package consent

import (
	"fmt"
	"strings"
)

// Channel is the way of contact a scope names.
type Channel string

const (
	Voice Channel = "voice"
	SMS   Channel = "sms"
	Email Channel = "email"
	// All is every channel: the scope of an opt-out that names none, so that senders who never
	// heard of scopes keep the meaning they had.
	All Channel = "all"
)

// Channels are the concrete channels, in the order a query of All checks them.
var Channels = []Channel{Voice, SMS, Email}

// ParseChannel reads a channel as senders write it, any case; empty is All.
func ParseChannel(s string) (Channel, error) {
	c := Channel(strings.ToLower(strings.TrimSpace(s)))
	switch c {
	case "":
		return All, nil
	case Voice, SMS, Email, All:
		return c, nil
	}
	return "", fmt.Errorf("channel %q is not voice, sms, email or all", truncate(s, 32))
}

// robo reports whether c is a channel the revoke-all rule reaches: robocalls and robotexts.
func (c Channel) robo() bool { return c == Voice || c == SMS }

// covers reports whether c includes d.
func (c Channel) covers(d Channel) bool { return c == All || c == d }

// Scope is what an opt-out, a consent or a query is about. Purpose and Brand empty mean any.
type Scope struct {
	Channel Channel `json:"channel"`
	Purpose string  `json:"purpose,omitempty"`
	Brand   string  `json:"brand,omitempty"`
}

// ParseScope reads a scope's three fields as received: the channel (empty: all), a purpose and a
// brand (trimmed; empty: any; bounded as every label is, by queue.Event.Bound).
func ParseScope(channel, purpose, brand string) (Scope, error) {
	c, err := ParseChannel(channel)
	if err != nil {
		return Scope{}, err
	}
	return Scope{Channel: c, Purpose: strings.TrimSpace(purpose), Brand: strings.TrimSpace(brand)}, nil
}

// Everything is the widest scope: every channel, purpose and brand.
var Everything = Scope{Channel: All}

// String is the scope as records and reports show it, e.g. "sms", "voice/marketing",
// "all/marketing/acme", "email//acme".
func (s Scope) String() string {
	c := s.Channel
	if c == "" {
		c = All
	}
	switch {
	case s.Brand != "":
		return string(c) + "/" + s.Purpose + "/" + s.Brand
	case s.Purpose != "":
		return string(c) + "/" + s.Purpose
	}
	return string(c)
}

// norm is s with an empty channel read as All.
func (s Scope) norm() Scope {
	if s.Channel == "" {
		s.Channel = All
	}
	return s
}

// meets reports whether an opt-out's label a meets a query's label b: either is "any", or they are
// the same (any case).
func meets(a, b string) bool { return a == "" || b == "" || strings.EqualFold(a, b) }

// includes reports whether label a covers all of label b: a is "any", or they are the same.
func includes(a, b string) bool { return a == "" || (b != "" && strings.EqualFold(a, b)) }

// Meets reports whether an opt-out of scope s reaches a query of scope q (q's channel concrete).
// A query that leaves purpose or brand open is met by an opt-out of any purpose or brand: not
// knowing what a call is for must not let it past an opt-out that might be about it.
func (s Scope) Meets(q Scope) bool {
	s, q = s.norm(), q.norm()
	return s.Channel.covers(q.Channel) && meets(s.Purpose, q.Purpose) && meets(s.Brand, q.Brand)
}

// Includes reports whether s covers the whole of t: every channel, purpose and brand of t is one
// of s's. A consent lifts an opt-out only if its scope includes the opt-out's.
func (s Scope) Includes(t Scope) bool {
	s, t = s.norm(), t.norm()
	return s.Channel.covers(t.Channel) && includes(s.Purpose, t.Purpose) && includes(s.Brand, t.Brand)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
