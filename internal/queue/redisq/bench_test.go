package redisq_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/redisq"
	"github.com/dncsync/dncsync/internal/redistest"
)

// BenchmarkEnqueue measures what Redis spends on an accepted event: the enqueue script's time in
// Redis per event (INFO commandstats), the cost every webhook and import row pays on Redis's one
// thread. Events carry an id, a source and a reason, as webhooks do; every number is new.
func BenchmarkEnqueue(b *testing.B) {
	now := time.Now()
	benchEnqueue(b, 100, func(n int) queue.Event {
		num := fmt.Sprintf("+1%03d555%04d", 201+n/10000%700, n%10000)
		return queue.Event{ID: "evt-" + strconv.Itoa(n), Number: num, Raw: num, Action: queue.Add, Source: "crm",
			Channel: "web", Reason: "asked", OccurredAt: now, ReceivedAt: now}
	})
}

// BenchmarkEnqueueImportRows is BenchmarkEnqueue with what `dncsync import` sends: batches of 500
// new numbers, each with its row's event id (import:<digest>:<line>).
func BenchmarkEnqueueImportRows(b *testing.B) {
	now := time.Now()
	benchEnqueue(b, 500, func(n int) queue.Event {
		num := fmt.Sprintf("+1212%07d", n)
		return queue.Event{ID: "import:0123456789abcdef01234567:" + strconv.Itoa(n+2), Number: num,
			Raw: num[2:], Action: queue.Add, Source: "import", Reason: "web form", OccurredAt: now, ReceivedAt: now}
	})
}

// benchEnqueue enqueues batches of the events event makes into a fresh Redis and reports, per event,
// Redis's main-thread CPU, its memory growth, and each command's time (INFO commandstats: the
// script's own as evalsha).
func benchEnqueue(b *testing.B, batch int, event func(n int) queue.Event) {
	srv := redistest.Start(b)
	s, err := redisq.Open(srv.URL(), redisq.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	ctx := context.Background()
	evs := make([]queue.Event, batch)
	n := 0
	mem0 := infoInt(b, rdb, "memory", "used_memory")
	rdb.ConfigResetStat(ctx)
	cpu0 := mainThreadCPU(b, rdb)
	b.ResetTimer()
	for b.Loop() {
		for i := range evs {
			evs[i] = event(n)
			n++
		}
		if _, err := s.Enqueue(ctx, evs); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric((mainThreadCPU(b, rdb)-cpu0)*1e6/float64(n), "redis-cpu-µs/event")
	b.ReportMetric(float64(infoInt(b, rdb, "memory", "used_memory")-mem0)/float64(n), "redis-B/event")
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
	info, _ := rdb.Info(ctx, "commandstats").Result()
	for _, l := range strings.Split(info, "\r\n") {
		name, v, ok := strings.Cut(strings.TrimPrefix(l, "cmdstat_"), ":")
		if !ok || !strings.HasPrefix(l, "cmdstat_") {
			continue
		}
		for _, kv := range strings.Split(v, ",") {
			if us, ok := strings.CutPrefix(kv, "usec="); ok {
				total, _ := strconv.ParseFloat(us, 64)
				if total/float64(n) >= 0.05 {
					b.ReportMetric(total/float64(n), name+"-µs/event")
				}
			}
		}
	}
}

// mainThreadCPU is the CPU seconds Redis's main thread has used: the scripts and the append-only
// file's writes, which the script's own time does not show.
func mainThreadCPU(b *testing.B, rdb *redis.Client) float64 {
	info, err := rdb.Info(context.Background(), "cpu").Result()
	if err != nil {
		b.Fatal(err)
	}
	total := 0.0
	for _, l := range strings.Split(info, "\r\n") {
		for _, k := range []string{"used_cpu_sys_main_thread:", "used_cpu_user_main_thread:"} {
			if v, ok := strings.CutPrefix(l, k); ok {
				f, _ := strconv.ParseFloat(v, 64)
				total += f
			}
		}
	}
	return total
}

// infoInt reads one integer field of a section of INFO.
func infoInt(b *testing.B, rdb *redis.Client, section, field string) int64 {
	info, err := rdb.Info(context.Background(), section).Result()
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	b.Fatalf("no %s in INFO %s", field, section)
	return 0
}
