package pusher

import (
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// takenWindow bounds how old a spacing the server took may be to count for a 429 (taken.shortest):
// the limit it shows may have changed since.
const takenWindow = 2 * time.Second

// taken keeps this process's last grants with the spacing the shared pace gave each (from the grant
// before, whichever replica it went to) and whether its answer came, so that a 429 can learn the
// shortest spacing the server recently took. With replicas sharing the limiter the grant before
// the refused one may have been spaced by a replica still early on its slow start, far longer than
// the limit's interval; a grant of this process's own a little earlier, spaced by the pace that drew
// the 429 less one step, tells the limit closely (issue 16).
type taken struct {
	ring [8]spaced
	n    int
}

type spaced struct {
	asked, at time.Time     // this process's clock when the turn was asked; the limiter's, granted
	gap       time.Duration // from the grant before; 0: unknown
	answered  bool
}

// add notes a grant.
func (k *taken) add(asked time.Time, st queue.PaceState) {
	s := spaced{asked: asked, at: st.Granted}
	if !st.Prev.IsZero() {
		s.gap = st.Granted.Sub(st.Prev)
	}
	k.ring[k.n%len(k.ring)] = s
	k.n++
}

// answered marks the newest grant asked for at or before sent as answered.
func (k *taken) answered(sent time.Time) {
	for i := range min(k.n, len(k.ring)) {
		s := &k.ring[(k.n-1-i)%len(k.ring)]
		if !s.asked.After(sent) {
			s.answered = true
			return
		}
	}
}

// shortest is the shortest spacing of an answered grant of this process before refused (the
// limiter's time of the grant a 429 answered), granted since the current episode began (since;
// a 429 to an earlier one would have begun it) and within takenWindow, no longer than most
// (longer is an idle gap, not a pace); 0: none.
func (k *taken) shortest(refused, since time.Time, most time.Duration) time.Duration {
	var best time.Duration
	for i := range min(k.n, len(k.ring)) {
		s := k.ring[i]
		if !s.answered || s.gap <= 0 || s.gap > most || !s.at.Before(refused) || s.at.Before(since) ||
			refused.Sub(s.at) > takenWindow {
			continue
		}
		if best == 0 || s.gap < best {
			best = s.gap
		}
	}
	return best
}
