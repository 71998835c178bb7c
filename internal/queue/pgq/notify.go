package pgq

import (
	"context"
	"strings"
	"time"
)

// Listen calls wake(destination) whenever an entry becomes ready for a destination of this store,
// in any process on the database (each write NOTIFYs the destination's channel when it commits),
// until ctx is done. Each time it starts listening (at first, and after a lost connection) it calls
// wake for every destination, since a notification may have come before.
func (s *Store) Listen(ctx context.Context, wake func(dest string)) {
	for ctx.Err() == nil {
		err := s.listen(ctx, wake)
		if ctx.Err() != nil {
			return
		}
		_ = err // the connection was lost: listen again
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

func (s *Store) listen(ctx context.Context, wake func(dest string)) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// The connection holds LISTEN state: it is not given back to the pool for queries.
	pc := conn.Hijack()
	defer pc.Close(context.WithoutCancel(ctx))
	for _, d := range s.dests {
		if _, err := pc.Exec(ctx, `LISTEN "`+strings.ReplaceAll(s.channel+d.name, `"`, `""`)+`"`); err != nil {
			return err
		}
	}
	for _, d := range s.dests {
		wake(d.name)
	}
	for {
		n, err := pc.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if d, ok := strings.CutPrefix(n.Channel, s.channel); ok {
			wake(d)
		}
	}
}
