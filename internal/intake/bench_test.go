package intake_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dncsync/dncsync/internal/intake"
	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/redisq"
	"github.com/dncsync/dncsync/internal/redistest"
)

// BenchmarkOptOut is the whole intake path without the network: parse, normalize, and a durable
// (fsynced) bolt write per request, with concurrent senders sharing commits. Every request carries
// a new number, so each one creates an entry.
func BenchmarkOptOut(b *testing.B) {
	benchOptOut(b, openStore(b), 8) // webhook senders are many and mostly waiting on the fsync
}

// BenchmarkOptOutRedis is the same path on the Redis store (a private redis-server with AOF).
func BenchmarkOptOutRedis(b *testing.B) {
	srv := redistest.Start(b)
	q, err := redisq.Open(srv.URL(), redisq.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	benchOptOut(b, q, 16)
}

func benchOptOut(b *testing.B, q queue.Queue, parallelism int) {
	h := intake.New(q, intake.Config{})
	var seq atomic.Int64
	b.SetParallelism(parallelism)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := seq.Add(1)
			// 800 exchanges x 10000 lines of one area code: distinct valid numbers.
			body := fmt.Sprintf(`{"eventType":"contact.opt_out","data":{"phoneNumber":"(415) %03d-%04d"}}`,
				200+(i/10000)%800, i%10000)
			req := httptest.NewRequest(http.MethodPost, "/webhook/opt-out", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.OptOut(rec, req)
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"accepted"`) {
				b.Errorf("%s: %d %s", body, rec.Code, rec.Body)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
