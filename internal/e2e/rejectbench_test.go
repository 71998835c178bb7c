//go:build rejectbench

package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/dncsync/dncsync/internal/redistest"
)

// TestRejectionBytes measures what one rejection costs Redis (used_memory) for three shapes of junk
// posted to the real service, 2,000 of each in batches of 100 (BENCHMARKS.md):
//
//	go test -tags rejectbench -run TestRejectionBytes -v ./internal/e2e
func TestRejectionBytes(t *testing.T) {
	_, env := startSim(t, 6000)
	srv := redistest.Start(t)
	p := startServe(t, append(env, "REDIS_URL="+srv.URL())...)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	shapes := []struct {
		name  string
		event func(i int) string
	}{
		{"a short number, no event id", func(i int) string { return fmt.Sprintf(`{"phoneNumber":"12%d"}`, i) }},
		{"a 2 KB event with an id", func(i int) string {
			return fmt.Sprintf(`{"eventId":"j%d","phoneNumber":"%d%s","reason":"%s"}`, i, i, strings.Repeat("7", 40), strings.Repeat("junk ", 400))
		}},
		{"an 8 KB event with a 300-digit number", func(i int) string {
			return fmt.Sprintf(`{"phoneNumber":"%d%s","reason":"%s"}`, i, strings.Repeat("7", 300), strings.Repeat("junk ", 1600))
		}},
	}
	const n, per = 2000, 100
	for k, sh := range shapes {
		off := k * 1_000_000
		p.post("[" + sh.event(off) + "]") // the keys and scripts a first one creates
		before := redisUsed(t, rdb)
		for i := 0; i < n; i += per {
			evs := make([]string, per)
			for j := range evs {
				evs[j] = sh.event(off + 1 + i + j)
			}
			if code, resp, err := p.post("[" + strings.Join(evs, ",") + "]"); err != nil || code != 200 {
				t.Fatalf("%s: %d %.200s %v", sh.name, code, resp, err)
			}
		}
		t.Logf("%s: %d bytes of Redis per rejection", sh.name, (redisUsed(t, rdb)-before)/n)
	}
}
