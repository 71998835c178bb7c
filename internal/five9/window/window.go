// Package window is Five9's rule for additions to a domain's do-not-call list: the Configuration
// Web Services guide says addNumbersToDnc is accepted only from 11:00 PM to 6:00 AM Pacific Time
// and answers an exception at other times. The client (internal/five9) and its simulator
// (five9sim) both read it here, so that the rule is written once.
package window

import (
	"time"
	_ "time/tzdata" // the rule needs America/Los_Angeles on hosts without a zone database
)

// Pacific is Five9's zone for the window, daylight saving time included.
var Pacific = mustZone("America/Los_Angeles")

// Opens and Closes are the window's hours in Pacific time: it spans midnight.
const (
	Opens  = 23
	Closes = 6
)

func mustZone(name string) *time.Location {
	z, err := time.LoadLocation(name)
	if err != nil {
		panic("five9 window: " + err.Error()) // time/tzdata is linked in: cannot happen
	}
	return z
}

// Adds reports whether Five9 takes additions at t, and when not, when it next does (23:00 Pacific
// that day, in Pacific time).
func Adds(t time.Time) (open bool, opensAt time.Time) {
	p := t.In(Pacific)
	if h := p.Hour(); h >= Opens || h < Closes {
		return true, time.Time{}
	}
	return false, time.Date(p.Year(), p.Month(), p.Day(), Opens, 0, 0, 0, Pacific)
}
