package pgq_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/pgtest"
	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/pgq"
	"github.com/dncsync/dncsync/internal/queue/queuetest"
)

// migrated is a fresh schema of its own, migrated to this build's version.
func migrated(t testing.TB) string {
	t.Helper()
	url := pgtest.Schema(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := pgq.Migrate(ctx, url, false); err != nil {
		t.Fatal(err)
	}
	return url
}

func open(t testing.TB, url string, opts pgq.Options) *pgq.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := pgq.Open(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func opener() queuetest.Opener {
	return queuetest.Opener{Reopen: true, Open: func(t *testing.T, now func() time.Time) (queue.Queue, func() queue.Queue) {
		url := migrated(t)
		return open(t, url, pgq.Options{Now: now}), func() queue.Queue { return open(t, url, pgq.Options{Now: now}) }
	}}
}

func TestConformance(t *testing.T) { t.Parallel(); queuetest.Run(t, opener()) }

func TestEvidence(t *testing.T) { t.Parallel(); queuetest.RunEvidence(t, opener()) }

func TestOperations(t *testing.T) { t.Parallel(); queuetest.RunOperations(t, opener()) }

func TestSessions(t *testing.T) { t.Parallel(); queuetest.RunSessions(t, opener()) }

func TestDestinations(t *testing.T) {
	t.Parallel()
	queuetest.RunDestinations(t, func(t *testing.T, names []string, now func() time.Time) queue.Store {
		return open(t, migrated(t), pgq.Options{Destinations: names, Now: now})
	})
}

func TestConfirmedScope(t *testing.T) {
	t.Parallel()
	queuetest.RunConfirmedScope(t, func(t *testing.T, names []string, now func() time.Time) queue.Store {
		return open(t, migrated(t), pgq.Options{Destinations: names, Now: now})
	})
}

func TestRejections(t *testing.T) {
	t.Parallel()
	queuetest.RunRejections(t, func(t *testing.T, lim queue.RejectionLimits) (queue.Store, func()) {
		var used atomic.Uint64 // of 100
		s := open(t, migrated(t), pgq.Options{Rejections: lim,
			Usage: func(context.Context) (uint64, uint64, error) { return used.Load(), 100, nil }})
		return s, func() { used.Store(95) }
	})
}

func TestLimiter(t *testing.T) {
	t.Parallel()
	queuetest.RunLimiter(t, func(t *testing.T) queue.Limiter {
		return open(t, migrated(t), pgq.Options{}).Limiter()
	})
}
