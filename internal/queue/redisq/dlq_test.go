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

func TestOperations(t *testing.T) {
	srv := redistest.Start(t)
	queuetest.RunOperations(t, queuetest.Opener{Open: func(t *testing.T, now func() time.Time) (queue.Queue, func() queue.Queue) {
		s, err := redisq.Open(srv.URL(), redisq.Options{Namespace: fmt.Sprintf("o%d", ns.Add(1)), Now: now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s, nil
	}})
}
