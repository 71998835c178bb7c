package app

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

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

// registerWindowMetric exports dncsync_window_closed for a destination that has a window: the
// alert on pushes that stopped leaves out a queue that waits for its window, which is no outage.
func registerWindowMetric(reg prometheus.Registerer, l *lane) {
	w, ok := l.client.(destination.Windowed)
	if !ok {
		return
	}
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "dncsync_window_closed",
		Help: "1 while the destination takes no writes at this hour (its window is closed) and its queue waits for it.",
	}, func() float64 {
		if open, _ := w.Window(time.Now()); open {
			return 0
		}
		return 1
	}))
}
