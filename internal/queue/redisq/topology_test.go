package redisq_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dncsync/dncsync/internal/poll"
	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/queuetest"
	"github.com/dncsync/dncsync/internal/queue/redisq"
	"github.com/dncsync/dncsync/internal/redistest"
)

// The whole contract on a real three-master Redis Cluster: every script's keys share one hash tag,
// so each runs on the node that holds the slot; commands that name no key go to that node too.
func TestCluster(t *testing.T) {
	c := redistest.StartCluster(t)
	open := func(t *testing.T, name string, now func() time.Time) *redisq.Store {
		s, err := redisq.Open(c.URL(), redisq.Options{Namespace: name, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// Namespaces whose slots fall on different nodes, so the suite does not pass by one node's luck.
	nodes := map[string]bool{}
	t.Run("Conformance", func(t *testing.T) {
		queuetest.Run(t, queuetest.Opener{Reopen: true, Open: func(t *testing.T, now func() time.Time) (queue.Queue, func() queue.Queue) {
			name := fmt.Sprintf("c%d", ns.Add(1))
			nodes[c.NodeFor(t, "{"+name+"}").Addr] = true
			q := open(t, name, now)
			t.Cleanup(func() { q.Close() })
			return q, func() queue.Queue { return open(t, name, now) }
		}})
	})
	if len(nodes) < 2 {
		t.Fatalf("the suite's queues all lived on one node of the cluster (%v): the test proves little", nodes)
	}
	t.Run("Evidence", func(t *testing.T) {
		queuetest.RunEvidence(t, queuetest.Opener{Open: func(t *testing.T, now func() time.Time) (queue.Queue, func() queue.Queue) {
			s := open(t, fmt.Sprintf("ce%d", ns.Add(1)), now)
			t.Cleanup(func() { s.Close() })
			return s, nil
		}})
	})
	t.Run("Limiter", func(t *testing.T) {
		queuetest.RunLimiter(t, func(t *testing.T) queue.Limiter {
			s := open(t, fmt.Sprintf("cl%d", ns.Add(1)), nil)
			t.Cleanup(func() { s.Close() })
			return s.Limiter()
		})
	})
	t.Run("DurabilityWarnings", func(t *testing.T) {
		s := open(t, "warn", nil)
		defer s.Close()
		if w := s.DurabilityWarnings(context.Background()); len(w) != 0 {
			t.Fatalf("warnings for durable nodes: %v", w)
		}
	})
}

// TestURLForms: each REDIS_URL form makes its kind of client, and a bad one names the problem
// without the password.
func TestURLForms(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want string // the client's type, or a part of the error
	}{
		{"redis://localhost:6379/0", "*redis.Client"},
		{"rediss://user:pw@redis.example.com:6380", "*redis.Client"},
		{"redis://s1:26379?master_name=main&addr=s2:26379&password=pw", "*redis.Client"}, // a failover client
		{"redis://n1:7000?cluster=true", "*redis.ClusterClient"},
		{"redis://n1:7000?addr=n2:7001&addr=n3:7002", "*redis.ClusterClient"},
		{"redis://n1:7000?cluster=yes", "cluster=\"yes\""},
		{"http://localhost:6379", "invalid URL scheme"},
		{"redis://u:s3cret@localhost:6379?bogus=1", "bogus"},
	} {
		rdb, err := redisq.Connect(tc.url)
		got := fmt.Sprintf("%T", rdb)
		if err != nil {
			got = err.Error()
			if strings.Contains(got, "s3cret") {
				t.Errorf("%s: the error shows the password: %v", tc.url, err)
			}
		} else {
			rdb.Close()
		}
		if !strings.Contains(got, tc.want) {
			t.Errorf("%s: %s, want %s", tc.url, got, tc.want)
		}
	}
}

// TestSentinelFollowsFailover: through a Sentinel URL the store follows the primary to the replica
// the sentinel promotes, and an enqueue acknowledged with MinReplicas 1 survives the primary's
// crash. (The drain through a failover is in the pusher's tests.)
func TestSentinelFollowsFailover(t *testing.T) {
	sen := redistest.StartSentinel(t)
	s, err := redisq.Open(sen.URL(), redisq.Options{Namespace: "sen", MinReplicas: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	evs := queuetest.Sample(20)
	if _, err := s.Enqueue(ctx, evs); err != nil {
		t.Fatal(err)
	}
	sen.Primary.Kill()
	sen.WaitFailover(30 * time.Second)
	var st queue.Stats
	// The client finds the new primary on its own (the sentinel tells it): nothing to wait on but that.
	if !poll.Until(ctx, func() bool { st, err = s.Stats(ctx); return err == nil }) {
		t.Fatalf("the store did not reach the new primary: %v", err)
	}
	if st.Ready != 20 {
		t.Fatalf("after the failover the queue holds %d of 20 acknowledged entries", st.Ready)
	}
	if _, err := s.Enqueue(ctx, queuetest.Sample(21)[20:]); err == nil {
		t.Fatal("an enqueue with no replica left to confirm it was acknowledged")
	}
	// Without the replica requirement the new primary takes writes.
	plain, err := redisq.Open(sen.URL(), redisq.Options{Namespace: "sen"})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if _, err := plain.Enqueue(ctx, queuetest.Sample(21)[20:]); err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: sen.Replica.Addr})
	defer rdb.Close()
	if role, err := rdb.Do(ctx, "ROLE").Slice(); err != nil || role[0] != "master" {
		t.Fatalf("the replica's role after the failover: %v %v", role, err)
	}
}
