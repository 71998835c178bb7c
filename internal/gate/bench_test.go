package gate

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"testing"
)

func benchGuard() *Guard {
	return New(Config{Realm: "admin", Token: secret, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

// BenchmarkCheckRight is the cost the right token pays on every /v1 request.
func BenchmarkCheckRight(b *testing.B) {
	g, r := benchGuard(), from("192.0.2.7:1")
	for b.Loop() {
		if g.Check(r, secret).Verdict != OK {
			b.Fatal("refused")
		}
	}
}

// BenchmarkFloodFromManyAddresses: wrong tokens, each from a new address, against a full table:
// the cost per guess and the memory the table holds at its bound.
func BenchmarkFloodFromManyAddresses(b *testing.B) {
	reqs := make([]*http.Request, 1<<16)
	for i := range reqs {
		reqs[i] = from(fmt.Sprintf("10.%d.%d.1:1", i>>8&255, i&255))
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	g := benchGuard()
	i := 0
	for b.Loop() {
		g.Check(reqs[i&(len(reqs)-1)], "wrong")
		i++
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(reqs)
	runtime.KeepAlive(g)
	b.ReportMetric(float64(g.clients.len()), "clients")
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20), "heap-MB")
}
