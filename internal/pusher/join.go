package pusher

import (
	"context"
	"time"
)

// join reads the shared pace as this process begins a busy period, so that its slow start begins
// where a replica already busy has climbed to (alignBusy): its first grant would otherwise space the
// next by beta of the ceiling, a spacing far longer than the others', and a 429 to the grant after
// it would teach that (840 against a limit of 900, issue 16). One read of the limiter a busy period.
func (p *Pacer) join(ctx context.Context) {
	p.mu.Lock()
	st := p.estimateLocked()
	idle := st.Now.IsZero() || p.grantedAt.IsZero() || st.Now.Sub(p.grantedAt) > idleRestart
	p.mu.Unlock()
	if !idle {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, limiterCall/2)
	defer cancel()
	st, err := p.lim.State(ctx)
	if err != nil {
		return // Wait's Take tells
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.observe(st)
	p.joined = time.Time{}
	// A last grant within two of its spacings: a replica is pacing now.
	if st.Prev.IsZero() || st.Spaced <= 0 || st.Now.Sub(st.Prev) > 2*st.Spaced {
		return
	}
	p.joined = p.pace.alignBusy(st.Now, st.Now, st.Spaced)
}
