package redisq_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/queuetest"
	"github.com/dncsync/dncsync/internal/queue/redisq"
	"github.com/dncsync/dncsync/internal/redistest"
)

func TestSessions(t *testing.T) {
	srv := redistest.Start(t)
	queuetest.RunSessions(t, queuetest.Opener{Reopen: true, Open: func(t *testing.T, now func() time.Time) (queue.Queue, func() queue.Queue) {
		name := fmt.Sprintf("s%d", ns.Add(1))
		open := func() queue.Queue {
			s, err := redisq.Open(srv.URL(), redisq.Options{Namespace: name, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
		return open(), open
	}})
}
