package pgq

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Listen calls wake(destination) whenever an entry becomes ready for a destination of this store,
// in any process on the database (each write NOTIFYs the destination's channel after it commits:
// notifier),
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

// The wake-ups are sent after the commit that made the work ready, not inside it. In PostgreSQL
// 15 a transaction that has NOTIFYed takes a database-wide lock at commit and holds it through its
// WAL flush, so notifying commits run one at a time: with the wake-up inside every group commit,
// the group commits queued behind each other's fsync. Instead, a committed write hands its
// destinations to the notifier, whose one goroutine sends them, coalesced, in a transaction of its
// own that writes nothing else: only that small transaction takes the lock, and it commits without
// waiting for its WAL flush (synchronous_commit off for it alone: a notification is not data; a
// crash that loses one also drops every listener's connection, and a listener that reconnects
// wakes every destination). A send that fails is retried; every pusher also polls (IdleCheck),
// so a lost wake-up delays work and never strands it.
type notifier struct {
	pool    execer
	mu      sync.Mutex
	pending map[string]bool // channels to notify
	kick    chan struct{}   // buffered: one pending kick is enough
	stop    context.CancelFunc
	done    chan struct{}
}

// notifyRetry is the pause after a failed send.
const notifyRetry = 100 * time.Millisecond

// execer is the pool as the notifier uses it.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func newNotifier(pool execer) *notifier {
	ctx, stop := context.WithCancel(context.Background())
	n := &notifier{pool: pool, pending: map[string]bool{}, kick: make(chan struct{}, 1), stop: stop,
		done: make(chan struct{})}
	go n.run(ctx)
	return n
}

// wake queues a notification on each channel; it returns at once.
func (n *notifier) wake(channels []string) {
	if len(channels) == 0 {
		return
	}
	n.mu.Lock()
	for _, c := range channels {
		n.pending[c] = true
	}
	n.mu.Unlock()
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

func (n *notifier) run(ctx context.Context) {
	defer close(n.done)
	for {
		select {
		case <-ctx.Done():
			n.send(context.Background()) // what was committed before Close still wakes the others
			return
		case <-n.kick:
		}
		if err := n.send(ctx); err != nil && ctx.Err() == nil {
			select { // the channels are pending again: a later kick or this pause retries them
			case <-ctx.Done():
			case <-time.After(notifyRetry):
				select {
				case n.kick <- struct{}{}:
				default:
				}
			}
		}
	}
}

// send notifies the pending channels in one statement; on failure they stay pending.
func (n *notifier) send(ctx context.Context) error {
	n.mu.Lock()
	channels := make([]string, 0, len(n.pending))
	for c := range n.pending {
		channels = append(channels, c)
	}
	clear(n.pending)
	n.mu.Unlock()
	if len(channels) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := n.pool.Exec(ctx, `SELECT set_config('synchronous_commit', 'off', true), count(pg_notify(c, ''))
		FROM unnest($1::text[]) AS c`, channels)
	if err != nil {
		n.wake(channels)
	}
	return err
}

// close sends what is pending and stops the goroutine.
func (n *notifier) close() {
	n.stop()
	<-n.done
}
