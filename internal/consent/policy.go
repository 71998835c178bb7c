package consent

import (
	"fmt"
	"strings"
	"time"
)

// Decided is the revoke-all policy that was in force for one request, as its record keeps it: an
// audit shows which rule decided, and a later change of the setting cannot narrow what was asked.
type Decided string

const (
	// RevokeAll: a revocation in any scope reaches every robocall and robotext (voice and sms).
	RevokeAll Decided = "revoke_all"
	// Scoped: a revocation reaches the scope it names.
	Scoped Decided = "scoped"
)

// ParseDecided reads a recorded policy. A record that names none (written before policies were
// recorded, or by a store that does not keep them) is read as RevokeAll: not knowing which rule
// applied must not narrow an opt-out.
func ParseDecided(s string) Decided {
	if Decided(s) == Scoped {
		return Scoped
	}
	return RevokeAll
}

// DefaultPolicy is DNCSYNC_REVOKE_ALL's default: the date the FCC's revoke-all rule takes effect
// (47 CFR 64.1200(a)(10), delayed by CGB Order DA 26-12 to 31 January 2027).
const DefaultPolicy = "2027-01-31"

// Policy is DNCSYNC_REVOKE_ALL: always on, always off, or on from a date.
type Policy struct {
	on   bool
	from time.Time // zero with on: always; set: on from this instant
	text string
}

// ParsePolicy reads on, off or YYYY-MM-DD. A date turns the rule on at 00:00 UTC that day, which
// is before the day begins anywhere in the United States.
func ParsePolicy(s string) (Policy, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	switch t {
	case "on":
		return Policy{on: true, text: t}, nil
	case "off":
		return Policy{text: t}, nil
	}
	d, err := time.Parse(time.DateOnly, t)
	if err != nil {
		return Policy{}, fmt.Errorf("revoke-all policy %q is not on, off or a date YYYY-MM-DD", truncate(s, 32))
	}
	return Policy{on: true, from: d.UTC(), text: t}, nil
}

// MustPolicy is ParsePolicy for a constant known to be valid.
func MustPolicy(s string) Policy {
	p, err := ParsePolicy(s)
	if err != nil {
		panic(err)
	}
	return p
}

// At is the policy in force at t (a request's receipt time).
func (p Policy) At(t time.Time) Decided {
	if p.on && !t.Before(p.from) {
		return RevokeAll
	}
	return Scoped
}

// String is the setting as given (on, off or the date).
func (p Policy) String() string {
	if p.text == "" {
		return "off"
	}
	return p.text
}

// IsZero reports whether p was never set (the zero Policy, which is off).
func (p Policy) IsZero() bool { return p.text == "" }
