package redisq_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/queuetest"
	"github.com/dncsync/dncsync/internal/queue/redisq"
	"github.com/dncsync/dncsync/internal/redistest"
)

// The event ids of layout 2 (a key each, {tag}:seen:<id>\0<number>) are duplicates before the
// upgrade (the script looks for them while the layout key says so) and after it (moved into their
// numbers' states with their expiries); the upgrade leaves no such key, and EventIDs lists the ids
// from their new place.
func TestEventIDsUpgrade(t *testing.T) {
	srv, rdb := startLayout(t, "2")
	ctx := context.Background()
	p := "{" + fixtureNS + "}:"
	old, err := rdb.Keys(ctx, p+"seen:*").Result()
	if err != nil || len(old) != 3 || rdb.Exists(ctx, p+"layout").Val() != 0 {
		t.Fatalf("precondition: layout 2 has 3 event-id keys and no layout key: %v %v", old, err)
	}
	now := queuetest.FixtureStart.Add(time.Hour)
	s, err := redisq.Open(srv.URL(), redisq.Options{Namespace: fixtureNS, Destinations: queuetest.FixtureDestinations,
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	retry := func(id, number string) queue.EnqueueStatus {
		t.Helper()
		st, err := s.Enqueue(ctx, []queue.Event{{ID: id, Number: number, Action: queue.Remove, OccurredAt: now,
			ReceivedAt: now}})
		if err != nil {
			t.Fatal(err)
		}
		return st[0]
	}
	if st := retry("ev-3", "+15550000003"); st != queue.Duplicate {
		t.Fatalf("ev-3 before the upgrade: %s, want duplicate", st)
	}
	if err := s.RecordDestinations(ctx); err != nil {
		t.Fatal(err)
	}
	if left := rdb.Keys(ctx, p+"seen:*").Val(); len(left) != 0 || rdb.Get(ctx, p+"layout").Val() != "3" {
		t.Fatalf("after the upgrade: keys %q, layout %q", left, rdb.Get(ctx, p+"layout").Val())
	}
	for _, id := range []struct{ id, number string }{{"ev-1", "+15550000001"}, {"ev-1b", "+15550000001"},
		{"ev-3", "+15550000003"}} {
		if st := retry(id.id, id.number); st != queue.Duplicate {
			t.Errorf("%s after the upgrade: %s, want duplicate", id.id, st)
		}
	}
	var got []queue.EventID
	if err := s.EventIDs(ctx, func(id queue.EventID) error { got = append(got, id); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("EventIDs after the upgrade: %+v, want the 3 moved", got)
	}
	for _, id := range got {
		// Loaded with a week to live (loadKeys), moved at the store's clock.
		if d := id.Expires.Sub(now); d < 6*24*time.Hour || d > 7*24*time.Hour {
			t.Errorf("%+v expires %v after the upgrade, want about a week", id, d)
		}
	}
	if n, err := s.Upgrade(ctx); n != 0 || err != nil {
		t.Errorf("a second upgrade: %d, %v", n, err)
	}
}

// A store nothing was written in is in the current layout from its first enqueue or rejection (an
// import's first batch may reject before it enqueues): no event-id keys of the layout before to
// look for. One with an audit trail and no layout key may have them.
func TestNewStoreLayout(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	ctx := context.Background()
	now := time.Now()
	for _, c := range []struct {
		ns, seed, want string
	}{{"fresh", "", "3"}, {"rejectedfirst", "reject", "3"}, {"old", "audit", ""}} {
		if c.seed == "reject" {
			s, err := redisq.Open(srv.URL(), redisq.Options{Namespace: c.ns})
			if err != nil {
				t.Fatal(err)
			}
			err = s.Reject(ctx, queue.Rejection{Raw: "12", Reason: "too_short", ReceivedAt: now})
			s.Close()
			if v := rdb.Get(ctx, "{"+c.ns+"}:layout").Val(); err != nil || v != "3" {
				t.Fatalf("after a first rejection: layout %q, %v", v, err)
			}
		} else if c.seed != "" {
			rdb.XAdd(ctx, &redis.XAddArgs{Stream: "{" + c.ns + "}:" + c.seed, Values: []any{"n", ""}})
			rdb.Set(ctx, "{"+c.ns+"}:seen:e1\x00+14155550001", "1", time.Hour)
		}
		s, err := redisq.Open(srv.URL(), redisq.Options{Namespace: c.ns, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		st, err := s.Enqueue(ctx, []queue.Event{{ID: "e1", Number: "+14155550001", Action: queue.Add, OccurredAt: now,
			ReceivedAt: now}})
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := rdb.Get(ctx, "{"+c.ns+"}:layout").Result(); v != c.want {
			t.Errorf("%s store: layout %q after an enqueue, want %q", c.ns, v, c.want)
		}
		if want := map[string]queue.EnqueueStatus{"fresh": queue.Created, "rejectedfirst": queue.Created,
			"old": queue.Duplicate}[c.ns]; st[0] != want {
			t.Errorf("%s store: %s, want %s", c.ns, st[0], want)
		}
	}
}

// A number keeps its last 4 event ids within the TTL: a retry of the fifth newest is not a
// duplicate but goes through the rule every event does, merged into the number's entry without
// changing what it asks; an id is forgotten when the store's clock passes its TTL.
func TestEventIDsKeptPerNumber(t *testing.T) {
	srv := redistest.Start(t)
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	s, err := redisq.Open(srv.URL(), redisq.Options{EventIDTTL: time.Hour, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	const num = "+14155550001"
	ev := func(i int) queue.Event {
		at := now.Add(-time.Duration(10-i) * time.Minute)
		return queue.Event{ID: fmt.Sprint("e", i), Number: num, Action: queue.Add, Source: fmt.Sprint("s", i),
			OccurredAt: at, ReceivedAt: now}
	}
	enqueue := func(evs ...queue.Event) []queue.EnqueueStatus {
		t.Helper()
		st, err := s.Enqueue(ctx, evs)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	for i := 1; i <= 5; i++ {
		now = now.Add(time.Second)
		want := queue.Merged
		if i == 1 {
			want = queue.Created
		}
		if st := enqueue(ev(i)); st[0] != want {
			t.Fatalf("e%d: %s, want %s", i, st[0], want)
		}
	}
	// Newest first: the retry of e1, not a duplicate, is remembered in turn, in the place of e2.
	st := enqueue(ev(5), ev(4), ev(3), ev(2), ev(1))
	if fmt.Sprint(st) != "[duplicate duplicate duplicate duplicate merged]" {
		t.Fatalf("retries of 5 ids: %v, want the 4 newest duplicates and the oldest merged", st)
	}
	items, err := s.Claim(ctx, 10, time.Minute)
	if err != nil || len(items) != 1 {
		t.Fatalf("claim: %+v %v", items, err)
	}
	if it := items[0]; it.Source != "s5" || it.Events != 6 {
		t.Errorf("entry %+v: want the newest event's source s5 and 6 events", it)
	}
	now = now.Add(time.Hour)
	if st := enqueue(ev(5)); st[0] == queue.Duplicate {
		t.Errorf("e5 a TTL later: still a duplicate")
	}
}
