package pusher_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/dncsync/dncsync/internal/pusher"
	"github.com/dncsync/dncsync/internal/queue"
)

// recoverInFlight is an empty queue whose Recover, once called, holds until released: a Recover
// call in flight when the pusher is stopped.
type recoverInFlight struct {
	pusher.Queue // nil: only the methods below are called on an empty queue
	entered      chan struct{}
	release      chan struct{}
	once         sync.Once
}

func (q *recoverInFlight) Claim(context.Context, int, time.Duration) ([]queue.Item, error) {
	return nil, nil
}

func (q *recoverInFlight) NextDue(context.Context) (time.Time, bool, error) {
	return time.Time{}, false, nil
}

func (q *recoverInFlight) Recover(ctx context.Context, _ int) (int, error) {
	q.once.Do(func() { close(q.entered) })
	<-ctx.Done()
	<-q.release // a store slow to give up its call
	return 0, ctx.Err()
}

// Run returns only once everything it started has returned: the store may close then, with no
// Recover call in flight.
func TestRunWaitsForTheRecoverInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := &recoverInFlight{entered: make(chan struct{}), release: make(chan struct{})}
		p := pusher.New(q, nil, pusher.NewPacer(60), nil, pusher.Config{RecoverEvery: time.Second})
		ctx, cancel := context.WithCancel(t.Context())
		ran := make(chan struct{})
		go func() { _ = p.Run(ctx); close(ran) }()
		<-q.entered // precondition: a Recover call is in flight
		cancel()
		synctest.Wait()
		select {
		case <-ran:
			t.Fatal("Run returned while its Recover call was in flight")
		default:
		}
		close(q.release)
		<-ran
	})
}
