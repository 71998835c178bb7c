package app

import (
	"time"

	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/ops"
	"github.com/dncsync/dncsync/internal/pusher"
)

// pacing is the lane's pace as the status reads it: with its destination's window, when it has
// one (destination.Windowed), so that the status and the console say the queue waits for it.
func (l *lane) pacing() ops.Pacing {
	w, ok := l.client.(destination.Windowed)
	if !ok {
		return l.pacer
	}
	return windowPacing{Pacer: l.pacer, title: l.title, w: w}
}

type windowPacing struct {
	*pusher.Pacer
	title string
	w     destination.Windowed
}

func (p windowPacing) Waiting(now time.Time) (string, time.Time) {
	return destination.Waiting(p.title, p.w, now)
}
