package redisq_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/queuetest"
	"github.com/dncsync/dncsync/internal/queue/redisq"
	"github.com/dncsync/dncsync/internal/redistest"
)

var ns atomic.Int64

func TestConformance(t *testing.T) {
	srv := redistest.Start(t)
	queuetest.Run(t, queuetest.Opener{Reopen: true, Open: func(t *testing.T, now func() time.Time) (queue.Queue, func() queue.Queue) {
		// One server, a namespace per test: isolation without a process per subtest.
		name := fmt.Sprintf("t%d", ns.Add(1))
		open := func() queue.Queue {
			s, err := redisq.Open(srv.URL(), redisq.Options{Namespace: name, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		q := open()
		t.Cleanup(func() { q.Close() })
		return q, open
	}})
}

func TestEvidence(t *testing.T) {
	srv := redistest.Start(t)
	queuetest.RunEvidence(t, queuetest.Opener{Open: func(t *testing.T, now func() time.Time) (queue.Queue, func() queue.Queue) {
		s, err := redisq.Open(srv.URL(), redisq.Options{Namespace: fmt.Sprintf("e%d", ns.Add(1)), Now: now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s, nil
	}})
}

func TestKeysShareOneHashTag(t *testing.T) {
	srv := redistest.Start(t)
	s, err := redisq.Open(srv.URL(), redisq.Options{Namespace: "tag"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	qt := queuetest.Sample(3)
	qt[0].ID = "evt"
	if _, err := s.Enqueue(ctx, qt); err != nil {
		t.Fatal(err)
	}
	items, _ := s.Claim(ctx, 1, 60e9)
	s.DeadLetter(ctx, items[0], "x")
	s.Reject(ctx, queue.Rejection{Raw: "1"})
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) < 6 {
		t.Fatalf("expected the queue's keys, got %v", keys)
	}
	for _, k := range keys {
		if len(k) < 5 || k[:5] != "{tag}" {
			t.Fatalf("key %q is outside the {tag} hash tag", k)
		}
	}
}

func TestDurabilityWarnings(t *testing.T) {
	srv := redistest.Start(t) // started with appendonly yes and noeviction
	s, err := redisq.Open(srv.URL(), redisq.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if w := s.DurabilityWarnings(ctx); len(w) != 0 {
		t.Fatalf("warnings for a durable Redis: %v", w)
	}
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	rdb.ConfigSet(ctx, "appendonly", "no")
	rdb.ConfigSet(ctx, "maxmemory-policy", "allkeys-lru")
	if w := s.DurabilityWarnings(ctx); len(w) != 2 {
		t.Fatalf("warnings %v, want two", w)
	}
}

// Concurrent enqueues share script calls, and each caller still gets exactly its own answers.
func TestGroupCommit(t *testing.T) {
	srv := redistest.Start(t)
	s, err := redisq.Open(srv.URL(), redisq.Options{Namespace: "group"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	ctx := context.Background()
	if err := rdb.ConfigResetStat(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	const callers, each = 64, 20
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for c := range callers {
		wg.Go(func() {
			for i := range each {
				n := fmt.Sprintf("+1415555%04d", c*each+i)
				ev := queue.Event{ID: "e" + n, Number: n, Raw: n, Action: queue.Add, OccurredAt: time.Now(), ReceivedAt: time.Now()}
				st, err := s.Enqueue(ctx, []queue.Event{ev, ev}) // the same event twice: created, then a duplicate
				if err != nil || len(st) != 2 || st[0] != queue.Created || st[1] != queue.Duplicate {
					errs <- fmt.Errorf("%s: %v %v", n, st, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if st, _ := s.Stats(ctx); st.Ready != callers*each {
		t.Fatalf("%d entries ready, want %d", st.Ready, callers*each)
	}
	info, _ := rdb.Info(ctx, "commandstats").Result()
	calls := 0
	for _, l := range strings.Split(info, "\r\n") {
		for _, cmd := range []string{"cmdstat_evalsha:calls=", "cmdstat_eval:calls="} {
			if v, ok := strings.CutPrefix(l, cmd); ok {
				n, _ := strconv.Atoi(strings.SplitN(v, ",", 2)[0])
				calls += n
			}
		}
	}
	if calls == 0 || calls >= callers*each {
		t.Fatalf("%d script calls for %d concurrent enqueues: not shared", calls, callers*each)
	}
	t.Logf("%d enqueues in %d script calls", callers*each, calls)
}

func TestLimiter(t *testing.T) {
	srv := redistest.Start(t)
	queuetest.RunLimiter(t, func(t *testing.T) queue.Limiter {
		s, err := redisq.Open(srv.URL(), redisq.Options{Namespace: fmt.Sprintf("l%d", ns.Add(1))})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s.Limiter()
	})
}

func TestDestinations(t *testing.T) {
	srv := redistest.Start(t)
	queuetest.RunDestinations(t, func(t *testing.T, names []string, now func() time.Time) queue.Store {
		s, err := redisq.Open(srv.URL(), redisq.Options{Namespace: fmt.Sprintf("d%d", ns.Add(1)), Destinations: names, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestConfirmedScope(t *testing.T) {
	srv := redistest.Start(t)
	queuetest.RunConfirmedScope(t, func(t *testing.T, names []string, now func() time.Time) queue.Store {
		s, err := redisq.Open(srv.URL(), redisq.Options{Namespace: fmt.Sprintf("d%d", ns.Add(1)), Destinations: names, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestRejections(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { rdb.Close() })
	queuetest.RunRejections(t, func(t *testing.T, lim queue.RejectionLimits) (queue.Store, func()) {
		s, err := redisq.Open(srv.URL(), redisq.Options{Namespace: fmt.Sprintf("r%d", ns.Add(1)), Rejections: lim})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		crowd := func() {
			// maxmemory just above used_memory: past 90% of it, with room for an opt-out or two.
			info, err := rdb.Info(context.Background(), "memory").Result()
			if err != nil {
				t.Fatal(err)
			}
			used := infoField(info, "used_memory")
			if err := rdb.ConfigSet(context.Background(), "maxmemory", strconv.FormatInt(used*100/95, 10)).Err(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { rdb.ConfigSet(context.Background(), "maxmemory", "0") })
		}
		return s, crowd
	})
}

func infoField(info, name string) int64 {
	for _, l := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

// Rejections that the release before the limits wrote (a 4 KiB body, no hash, no audit record id,
// no identity) are listed, counted, trimmed and shed like the others.
func TestRejectionsOfTheReleaseBefore(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	s, err := redisq.Open(srv.URL(), redisq.Options{Namespace: "old", Rejections: queue.RejectionLimits{Cap: 3}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	received := time.Now().Add(-time.Hour).UnixMilli()
	for i := range 3 {
		err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: "{old}:rejections", Values: []any{"raw", fmt.Sprint(i), "body",
			strings.Repeat("x", 4096), "reason", "too_short", "region", "US", "source", "web", "channel", "",
			"event_id", fmt.Sprintf("e%d", i), "received", received + int64(i), "said", "", "key", fmt.Sprintf("rejected:%d", i)}}).Err()
		if err != nil {
			t.Fatal(err)
		}
	}
	rs, err := s.Rejections(ctx, 10)
	if err != nil || len(rs) != 3 || len(rs[0].Body) != 4096 || rs[0].Hash != "" || rs[0].EventID != "e2" {
		t.Fatalf("rejections of the release before: %+v, %v", len(rs), err)
	}
	if st, err := s.RejectionStats(ctx); err != nil || st.Kept != 3 {
		t.Fatalf("stats %+v, %v", st, err)
	}
	// A new one sheds the oldest past the cap of 3; the trim drops those received an hour ago.
	if err := s.Reject(ctx, queue.Rejection{Raw: "12", Body: "{}", Reason: "too_short", EventID: "new", ReceivedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if rs, _ := s.Rejections(ctx, 10); len(rs) != 3 || rs[0].EventID != "new" || rs[2].EventID != "e1" {
		t.Fatalf("after a new rejection: %+v", rs)
	}
	if n, err := s.TrimRejections(ctx, time.Now().Add(-time.Minute)); err != nil || n != 2 {
		t.Fatalf("trim removed %d, %v; want the 2 old ones left", n, err)
	}
	st, err := s.RejectionStats(ctx)
	if err != nil || st.Kept != 1 || st.Shed != 1 || st.Recorded != 1 {
		t.Fatalf("stats %+v, %v", st, err)
	}
}

// One call with a thousand rejections stops writing them once Redis passes the fill, not only when
// it was past it at the start: reject.lua reads used_memory again every 64 written.
func TestLargeRejectBatchStopsAtTheFill(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	s, err := redisq.Open(srv.URL(), redisq.Options{Namespace: "fill"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	if err := s.Reject(ctx, queue.Rejection{Raw: "1", Reason: "too_short"}); err != nil { // scripts loaded
		t.Fatal(err)
	}
	// A Redis of about 10 MB, 80% full as INFO reads it then. The batch's own arguments count while
	// the script runs (about 1 MB); what it writes (about 0.7 MB) passes 90% part-way.
	for i := range 10 {
		if err := rdb.Set(ctx, fmt.Sprintf("ballast%d", i), strings.Repeat("b", 1<<20), 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	info, err := rdb.Info(ctx, "memory").Result()
	if err != nil {
		t.Fatal(err)
	}
	limit := infoField(info, "used_memory") * 100 / 80
	if err := rdb.ConfigSet(ctx, "maxmemory", strconv.FormatInt(limit, 10)).Err(); err != nil {
		t.Fatal(err)
	}
	defer rdb.ConfigSet(ctx, "maxmemory", "0")
	rs := make([]queue.Rejection, 1000)
	for i := range rs {
		rs[i] = queue.Rejection{Raw: fmt.Sprintf("12%d", i), Body: strings.Repeat("x", 2000), Reason: "too_short",
			EventID: fmt.Sprintf("e%d", i), ReceivedAt: time.Now()}
	}
	if err := s.Reject(ctx, rs...); err != nil {
		t.Fatal(err)
	}
	st, err := s.RejectionStats(ctx)
	if err != nil || st.Skipped == 0 || st.Recorded == 1 || st.Recorded+st.Skipped != 1001 {
		t.Fatalf("stats %+v, %v: want the batch cut off part-way, at the fill", st, err)
	}
	t.Logf("recorded %d of the batch, skipped %d; Redis %.1f%% full", st.Recorded-1, st.Skipped, st.Fill*100)
}
