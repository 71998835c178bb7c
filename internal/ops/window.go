package ops

import "time"

// Waiter is a Pacing whose destination takes writes only at certain hours
// (destination.Windowed): the status says when its queue waits for the window.
type Waiter interface {
	// Waiting is what the status says while the window is closed ("waiting for Five9's window
	// (opens 23:00 PT)") and when it opens; "" while it is open.
	Waiting(now time.Time) (string, time.Time)
}

// setWaiting fills in st's window when its destination waits for one and has work to wait
// with. A closed window is no outage: nothing is tried, so the status says so instead of alarming.
func setWaiting(st *Status, pacing Pacing, now time.Time) {
	w, ok := pacing.(Waiter)
	if !ok || st.Depth == 0 {
		return
	}
	if msg, at := w.Waiting(now); msg != "" {
		at = at.UTC()
		st.Waiting, st.WindowOpensAt = msg, &at
	}
}
