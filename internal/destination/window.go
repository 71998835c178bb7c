package destination

import (
	"fmt"
	"time"
)

// Windowed is a Client whose platform takes writes only at certain hours (Five9 takes additions
// to its DNC list from 23:00 to 06:00 Pacific). Outside its window the pusher holds the
// destination's queue: it claims nothing and spends no attempt, and the status says when the
// window opens. A lane's queue is claimed as a whole, so the window is the lane's: a destination
// whose actions have different hours answers with the narrowest.
type Windowed interface {
	// Window reports whether writes may be sent at now; when not, opensAt is when they may next,
	// in the destination's own zone (so that Opens reads it as its platform does).
	Window(now time.Time) (open bool, opensAt time.Time)
}

// Waiting is what the status says of a destination titled title waiting for its window at
// now ("waiting for Five9's window (opens 23:00 PT)"), and when it opens; "" when it is open or
// w is nil.
func Waiting(title string, w Windowed, now time.Time) (string, time.Time) {
	if w == nil {
		return "", time.Time{}
	}
	open, at := w.Window(now)
	if open {
		return "", time.Time{}
	}
	return fmt.Sprintf("waiting for %s's window (opens %s)", title, Opens(at)), at
}

// Opens is a window's opening for people, in its own zone: "23:00 PT". The US zones are named
// as their platforms name them, without standard or daylight time (PST and PDT are PT).
func Opens(t time.Time) string {
	zone, _ := t.Zone()
	switch zone {
	case "PST", "PDT", "MST", "MDT", "CST", "CDT", "EST", "EDT":
		zone = zone[:1] + "T"
	}
	return t.Format("15:04") + " " + zone
}
