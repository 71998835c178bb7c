package pusher

import (
	"context"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
)

// waitWindow holds the lane while its destination takes no writes (destination.Windowed): nothing
// is claimed and no attempt is spent, so a closed window is neither an outage nor an item's
// failure. It reads the window again at least every IdleCheck, so that a clock that moves
// otherwise than the wall's (a test's, a zone's rule) is seen soon; the read is cheap.
func (p *Pusher) waitWindow(ctx context.Context) {
	w, ok := p.c.(destination.Windowed)
	if !ok {
		return
	}
	told := false
	for ctx.Err() == nil {
		now := time.Now()
		open, opensAt := w.Window(now)
		if open {
			if told {
				p.log.Info("the destination's window opened; pushing")
			}
			return
		}
		if !told {
			p.log.Info("outside the destination's window; holding its queue", "opens_at", opensAt)
			told = true
		}
		p.sleepFor(ctx, min(max(opensAt.Sub(now), time.Millisecond), p.cfg.IdleCheck))
	}
}
