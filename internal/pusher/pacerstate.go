package pusher

import "time"

// The pacer's state as status reports it (lookup.Pacing, the status page). Kept apart from
// pacer.go so that the pacing itself can change behind these two methods.

// CurrentRPM is the pace requests leave at now, in requests a minute.
func (p *Pacer) CurrentRPM() float64 { return float64(p.lim.Limit()) * 60 }

// PausedUntil is the end of the current 429 pause; in the past (or zero) when there is none.
func (p *Pacer) PausedUntil() time.Time { return p.pausedUntil() }
