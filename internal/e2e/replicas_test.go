package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dncsync/dncsync/internal/cxone/cxonesim"
	"github.com/dncsync/dncsync/internal/poll"
	"github.com/dncsync/dncsync/internal/redistest"
)

// TestReplicasShareTheLimitAndSurviveAKill: two replicas on one Redis against a strict bucket of
// one at the configured limit draw from one shared pace, so few requests meet a 429; one is killed
// with SIGKILL mid-drain, and the other pushes the batch it held once its short lease runs out.
func TestReplicasShareTheLimitAndSurviveAKill(t *testing.T) {
	sim, env := startSim(t, 600)
	sim.SetRateLimit(cxonesim.RateLimit{PerMinute: 600, Burst: 1})
	srv := redistest.Start(t)
	env = append(env, "REDIS_URL="+srv.URL(), "DNCSYNC_LEASE=10s", "DNCSYNC_BATCH_LINGER=100ms")
	a, b := startServe(t, env...), startServe(t, env...)
	c := makeCorpus(600)
	accepted := send(t, a, c.bodies[:len(c.bodies)/2], 8)
	for n := range send(t, b, c.bodies[len(c.bodies)/2:], 8) {
		accepted[n] = true
	}
	sameSet(t, accepted, c.want)
	waitFor(t, "the first 100 numbers on the list", func() bool { return len(sim.List()) >= 100 })
	if n := len(sim.List()); n >= len(c.want) {
		t.Fatalf("the whole list was pushed before the kill (%d): the test proves nothing", n)
	}
	// Hold CXone's answers until both replicas hold claims: more than one replica's most (two
	// batches of 50) leased means the replica about to be killed holds a batch in flight.
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	arrived, release := sim.HoldRequests()
	<-arrived
	var leased int64
	var err error
	if !poll.Within(20*time.Second, func() bool {
		leased, err = rdb.ZCard(context.Background(), "{dncsync}:leased").Result()
		return err == nil && leased > 100
	}) {
		release()
		t.Fatalf("only %d numbers leased with CXone's answers held (%v): no kill in flight to prove", leased, err)
	}
	a.kill()
	release()
	killed := time.Now()
	waitForList(t, sim, c.want, 90*time.Second)
	st := sim.Stats()
	requests := 0
	for _, n := range st.Requests[cxonesim.KindV2Add] {
		requests += n
	}
	t.Logf("converged %v after the kill; %d of %d requests answered 429", time.Since(killed).Round(time.Millisecond),
		st.RateLimited, requests)
	// Two replicas pacing alone at the limit would meet a 429 about every other request.
	if st.RateLimited*10 > requests {
		t.Fatalf("%d of %d requests answered 429", st.RateLimited, requests)
	}
	resp, err := http.Get(b.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var rpm float64
	for _, line := range strings.Split(string(body), "\n") {
		if _, err := fmt.Sscanf(line, "dncsync_pacing_rpm %g", &rpm); err == nil {
			break
		}
	}
	if rpm <= 0 || rpm > 600 {
		t.Fatalf("pace metric %v, want a rate under the ceiling", rpm)
	}
	// The killed replica's last batch may have reached CXone before its acks: the list is complete
	// before its leases run out. Wait for them, and for the survivor to say it recovered them.
	if !poll.Within(30*time.Second, func() bool {
		leased, err = rdb.ZCard(context.Background(), "{dncsync}:leased").Result()
		return err == nil && leased == 0
	}) {
		t.Fatalf("%d numbers still leased 30 s after the list converged (%v)", leased, err)
	}
	b.kill() // its log is complete
	if !strings.Contains(b.stderr.String(), "recovered items whose pusher stopped") {
		t.Fatalf("the surviving replica recovered no lease: the kill landed on no batch in flight, the test proves nothing; log:\n%s", b.stderr)
	}
}
