package pusher_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/cxone"
	"github.com/dncsync/dncsync/internal/cxone/cxonesim"
	"github.com/dncsync/dncsync/internal/pusher"
	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/boltq"
	"github.com/dncsync/dncsync/internal/queue/redisq"
	"github.com/dncsync/dncsync/internal/redistest"
)

// testBundle is a store, a simulator and a client wired like serve does, with fast back-offs.
type testBundle struct {
	ctx    context.Context
	q      queue.Queue
	sig    *queue.Signal
	sim    *cxonesim.Server
	simURL string
	client *cxone.V2
	pacer  *pusher.Pacer
	cfg    pusher.Config
}

type opts struct {
	rpm   int // pacer and simulator rate; default 60000
	redis *redistest.Server
	url   string // REDIS_URL of another topology (Sentinel, Cluster) instead of redis
	store redisq.Options
	sim   cxonesim.Config
	// ahead, if set, moves the embedded store's clock this far (ns) ahead of the real one: a test
	// lets a lease run out by moving it, not by sleeping.
	ahead *atomic.Int64
}

func setup(t *testing.T, o opts) *testBundle {
	t.Helper()
	if o.rpm == 0 {
		o.rpm = 60000
	}
	var store queue.Queue
	var limiter queue.Limiter
	if o.redis != nil {
		o.url = o.redis.URL()
	}
	if o.url != "" {
		o.store.Namespace = t.Name()
		s, err := redisq.Open(o.url, o.store)
		if err != nil {
			t.Fatal(err)
		}
		store, limiter = s, s.Limiter()
	} else {
		var bo boltq.Options
		if o.ahead != nil {
			bo.Now = func() time.Time { return time.Now().Add(time.Duration(o.ahead.Load())) }
		}
		s, err := boltq.Open(filepath.Join(t.TempDir(), "q.db"), bo)
		if err != nil {
			t.Fatal(err)
		}
		store = s
	}
	t.Cleanup(func() { store.Close() })
	simCfg := o.sim
	simCfg.ClientID, simCfg.ClientSecret, simCfg.ListID, simCfg.Seed = "id", "secret", "list", 7
	if simCfg.RatePerMinute == 0 {
		simCfg.RatePerMinute = o.rpm
	}
	sim := cxonesim.New(simCfg)
	url, stop := sim.Start()
	t.Cleanup(stop)
	pacer := pusher.NewPacerWith(pusher.PacerConfig{RPM: o.rpm, Limiter: limiter})
	client := cxone.NewV2(cxone.V2Config{BaseURL: url, ClientID: "id", ClientSecret: "secret", ListID: "list",
		Pacer: pacer, Timeout: 2 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	sig := queue.NewSignal()
	return &testBundle{ctx: ctx, q: queue.Signaling(store, sig), sig: sig, sim: sim, simURL: url, client: client, pacer: pacer,
		cfg: pusher.Config{Linger: 5 * time.Millisecond, Lease: 30 * time.Second, MaxAttempts: 50,
			Backoff: func(int) time.Duration { return 20 * time.Millisecond }, IdleCheck: 50 * time.Millisecond,
			RecoverEvery: 100 * time.Millisecond, ConfigWait: 50 * time.Millisecond, OutageMax: 2 * time.Second}}
}

// start runs a pusher until the test ends; it returns a func that stops it and waits.
func (b *testBundle) start(t *testing.T) (stop func()) {
	t.Helper()
	p := pusher.New(b.q, b.client, b.pacer, b.sig.C(), b.cfg)
	ctx, cancel := context.WithCancel(b.ctx)
	var wg sync.WaitGroup
	wg.Go(func() { p.Run(ctx) })
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); wg.Wait() }) }
	t.Cleanup(stop)
	return stop
}

func (b *testBundle) enqueue(t *testing.T, action queue.Action, numbers ...string) {
	t.Helper()
	now := time.Now().Truncate(time.Millisecond)
	evs := make([]queue.Event, len(numbers))
	for i, n := range numbers {
		evs[i] = queue.Event{Number: n, Raw: n, Action: action, OccurredAt: now, ReceivedAt: now}
	}
	if _, err := b.q.Enqueue(b.ctx, evs); err != nil {
		t.Fatal(err)
	}
}

// drained waits until the queue holds nothing but dead letters.
func (b *testBundle) drained(t *testing.T) queue.Stats {
	t.Helper()
	for {
		st, err := b.q.Stats(b.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Depth() == 0 {
			return st
		}
		select {
		case <-b.ctx.Done():
			t.Fatalf("queue not drained: %+v; simulator %+v", st, b.sim.Stats())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// waitUntil polls cond until it holds (true) or ctx ends (false).
func waitUntil(ctx context.Context, cond func() bool) bool {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
	return true
}

// waitFor polls cond until it holds; the test fails with what if the bundle's deadline passes first.
func (b *testBundle) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	if !waitUntil(b.ctx, cond) {
		t.Fatalf("gave up waiting: %s", what)
	}
}

func nums(n, offset int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("+1415555%04d", i+offset)
	}
	return out
}

func wantList(t *testing.T, sim *cxonesim.Server, want []string) {
	t.Helper()
	w := append([]string(nil), want...)
	sort.Strings(w)
	got := sim.List()
	if fmt.Sprint(got) != fmt.Sprint(w) {
		t.Fatalf("list has %d numbers, want %d\n got %v\nwant %v", len(got), len(w), got, w)
	}
}

func TestDrainsInBatches(t *testing.T) {
	b := setup(t, opts{})
	all := nums(230, 0)
	b.enqueue(t, queue.Add, all...)
	b.start(t)
	b.drained(t)
	wantList(t, b.sim, all)
	st := b.sim.Stats()
	adds := 0
	for _, c := range st.Requests[cxonesim.KindV2Add] {
		adds += c
	}
	// 230 numbers in batches of 50: five requests, not one per number and not one for all.
	if adds != 5 {
		t.Fatalf("%d add requests for 230 numbers, want 5", adds)
	}
}

func TestConvergesUnderFaults(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults cxonesim.Faults
	}{
		{"429 with Retry-After seconds", cxonesim.Faults{RateLimit429: 0.3, RetryAfter: "1"}},
		{"429 with Retry-After date", cxonesim.Faults{RateLimit429: 0.2, RetryAfter: cxonesim.RetryAfterDate}},
		{"429 without Retry-After", cxonesim.Faults{RateLimit429: 0.3}},
		{"5xx and HTML pages", cxonesim.Faults{ServerError: 0.3, HTMLError: 0.1}},
		{"responses lost after the write", cxonesim.Faults{LostAfterApply: 0.4}},
		{"tokens expiring early", cxonesim.Faults{ExpireTokens: 0.3}},
		{"slow answers past the timeout", cxonesim.Faults{Slow: 0.2, SlowDelay: 2500 * time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := setup(t, opts{})
			b.sim.SetFaults(tc.faults)
			all := nums(300, 0)
			b.sim.Seed(all[:20]...) // some already listed: 409s to resolve
			b.enqueue(t, queue.Add, all...)
			b.start(t)
			st := b.drained(t)
			if st.Dead != 0 {
				t.Fatalf("%d dead letters under transient faults", st.Dead)
			}
			wantList(t, b.sim, all)
		})
	}
}

func TestRateLimitWaitSpendsNoAttempt(t *testing.T) {
	b := setup(t, opts{})
	b.cfg.MaxAttempts = 1 // any counted failure would dead-letter
	b.sim.SetFaults(cxonesim.Faults{RateLimit429: 0.3, RetryAfter: "1"})
	all := nums(100, 0)
	b.enqueue(t, queue.Add, all...)
	b.start(t)
	if st := b.drained(t); st.Dead != 0 {
		t.Fatalf("429s spent attempts: %d dead", st.Dead)
	}
	if b.sim.Stats().RateLimited == 0 {
		t.Fatal("the fault injected no 429: the test proves nothing")
	}
	wantList(t, b.sim, all)
}

func TestPacedUnderTheLimit(t *testing.T) {
	// A strict bucket of one: any two requests closer than 50 ms get a 429. The pacer runs at 1000 a
	// minute (60 ms apart), so none may.
	b := setup(t, opts{rpm: 1000, sim: cxonesim.Config{RatePerMinute: 1200, Burst: 1}})
	b.cfg.BatchSize = 5
	all := nums(100, 0)
	b.enqueue(t, queue.Add, all...)
	b.start(t)
	b.drained(t)
	wantList(t, b.sim, all)
	if st := b.sim.Stats(); st.RateLimited != 0 {
		t.Fatalf("%d requests ran into the rate limit", st.RateLimited)
	}
}

// A number CXone refuses is isolated from its batch, held while nothing else was accepted since
// (its batch mates do not count), and dead-lettered once a later batch got through.
func TestPoisonNumberDeadLettersAlone(t *testing.T) {
	b := setup(t, opts{})
	good := nums(49, 0)
	b.enqueue(t, queue.Add, good...)
	b.enqueue(t, queue.Add, "+1234") // CXone refuses it as not E.164
	b.start(t)
	b.waitStats(t, "the good numbers synced, the refused one held", held(t, func(st queue.Stats) bool {
		return st.Ready == 1 && st.Leased == 0 && b.sim.Stats().Requests[cxonesim.KindV2Add][400] >= 3
	}))
	more := nums(5, 100)
	b.enqueue(t, queue.Add, more...)
	st := b.drained(t)
	if st.Dead != 1 {
		t.Fatalf("dead letters %d, want 1", st.Dead)
	}
	wantList(t, b.sim, append(good, more...))
}

func TestOutageDeadLettersNothing(t *testing.T) {
	b := setup(t, opts{})
	b.cfg.MaxAttempts = 2
	b.sim.SetFaults(cxonesim.Faults{ServerError: 1})
	all := nums(20, 0)
	b.enqueue(t, queue.Add, all...)
	b.start(t)
	failed := func() int {
		r := b.sim.Stats().Requests[cxonesim.KindV2Add]
		return r[500] + r[502] + r[503]
	}
	// Several failed batches, each past two attempts' back-off (20 ms).
	b.waitFor(t, "four failed pushes", func() bool { return failed() >= 4 })
	st, err := b.q.Stats(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Dead != 0 || st.Depth() != 20 {
		t.Fatalf("an outage dead-lettered opt-outs: %+v", st)
	}
	if failed() < 4 {
		t.Fatal("the outage was not tried four times: the test proves nothing")
	}
	b.sim.SetFaults(cxonesim.Faults{}) // CXone is back
	if st := b.drained(t); st.Dead != 0 {
		t.Fatalf("dead %d", st.Dead)
	}
	wantList(t, b.sim, all)
}

// failingFor is CXone failing one number transiently and taking the rest: a poison number.
type failingFor struct {
	cxone.Client
	bad    string
	record bool // fail it as a per-record failure inside an answer (CXone is up)
}

func (f failingFor) Add(ctx context.Context, cs []cxone.Contact) []error {
	var rest []cxone.Contact
	for _, c := range cs {
		if c.Number != f.bad {
			rest = append(rest, c)
		}
	}
	errs := f.Client.Add(ctx, rest)
	out := make([]error, len(cs))
	for i, c := range cs {
		if c.Number == f.bad {
			out[i] = &cxone.Error{Kind: cxone.Transient, Op: "add", Status: 500, Msg: "poison", Record: f.record}
			continue
		}
		out[i], errs = errs[0], errs[1:]
	}
	return out
}

// A record CXone keeps refusing inside its answers is the record's own failure even when it is
// pushed alone: it must end dead, not retry forever as if CXone were down.
func TestLoneRecordFailureExhaustsAttempts(t *testing.T) {
	b := setup(t, opts{})
	b.cfg.MaxAttempts = 3
	const poison = "+14155559999"
	b.enqueue(t, queue.Add, poison)
	p := pusher.New(b.q, failingFor{b.client, poison, true}, b.pacer, b.sig.C(), b.cfg)
	ctx, cancel := context.WithCancel(b.ctx)
	defer cancel()
	go p.Run(ctx)
	if st := b.drained(t); st.Dead != 1 {
		t.Fatalf("stats %+v, want the record dead-lettered", st)
	}
}

func TestTransientPoisonExhaustsAttempts(t *testing.T) {
	b := setup(t, opts{})
	b.cfg.MaxAttempts, b.cfg.BatchSize = 3, 10
	const poison = "+14155559999"
	b.enqueue(t, queue.Add, poison)
	p := pusher.New(b.q, failingFor{b.client, poison, false}, b.pacer, b.sig.C(), b.cfg)
	ctx, cancel := context.WithCancel(b.ctx)
	defer cancel()
	go p.Run(ctx)
	// Other opt-outs keep flowing, so CXone is plainly up: the poison's failures are its own.
	var good []string
	for i := 0; ; i++ {
		batch := nums(3, 3*i)
		good = append(good, batch...)
		b.enqueue(t, queue.Add, batch...)
		b.waitFor(t, "the good numbers listed", func() bool { return len(b.sim.List()) >= len(good) })
		if st, _ := b.q.Stats(b.ctx); st.Dead == 1 {
			break
		}
		if b.ctx.Err() != nil || i > 300 {
			t.Fatal("the poison number was never dead-lettered")
		}
	}
	b.drained(t)
	wantList(t, b.sim, good)
}

func TestRemoveTakesOff(t *testing.T) {
	b := setup(t, opts{})
	b.sim.Seed("+14155550001", "+14155550002")
	b.enqueue(t, queue.Remove, "+14155550001", "+14155550003") // the second was never listed: 404 is fine
	b.start(t)
	if st := b.drained(t); st.Dead != 0 {
		t.Fatalf("dead %d", st.Dead)
	}
	wantList(t, b.sim, []string{"+14155550002"})
}

func TestRecoversLeasesOfADeadPusher(t *testing.T) {
	b := setup(t, opts{})
	all := nums(10, 0)
	b.enqueue(t, queue.Add, all...)
	// A pusher that claimed and died: its lease runs out, nobody acks.
	if got, err := b.q.Claim(b.ctx, 10, 50*time.Millisecond); err != nil || len(got) != 10 {
		t.Fatalf("claim: %d %v", len(got), err)
	}
	b.start(t)
	b.drained(t)
	wantList(t, b.sim, all)
}

// heldAdd is a client whose adds, once started is closed, hold until released: a batch in flight
// when the stop comes.
type heldAdd struct {
	cxone.Client
	started, release chan struct{}
	once             sync.Once
	calls            atomic.Int64
}

func (h *heldAdd) Add(ctx context.Context, cs []cxone.Contact) []error {
	h.calls.Add(1)
	h.once.Do(func() { close(h.started) })
	<-h.release
	return h.Client.Add(ctx, cs)
}

func TestShutdownLeavesNothingLeased(t *testing.T) {
	b := setup(t, opts{rpm: 600})
	b.enqueue(t, queue.Add, nums(200, 0)...)
	held := &heldAdd{Client: b.client, started: make(chan struct{}), release: make(chan struct{})}
	p := pusher.New(b.q, held, b.pacer, b.sig.C(), b.cfg)
	ctx, cancel := context.WithCancel(b.ctx)
	ran := make(chan struct{})
	go func() { _ = p.Run(ctx); close(ran) }()
	<-held.started // a batch is in flight
	cancel()
	close(held.release) // it finishes after the stop
	<-ran
	if held.calls.Load() == 0 {
		t.Fatal("no batch was in flight when the stop came: the test proves nothing")
	}
	if len(b.sim.List()) == 0 {
		t.Fatal("the batch in flight at the stop was not finished")
	}
	st, err := b.q.Stats(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Leased != 0 {
		t.Fatalf("%d items still leased after shutdown", st.Leased)
	}
	if int(st.Ready)+len(b.sim.List()) != 200 {
		t.Fatalf("ready %d + listed %d != 200", st.Ready, len(b.sim.List()))
	}
}

func TestTwoPushersOneRedis(t *testing.T) {
	srv := redistest.Start(t)
	b := setup(t, opts{redis: srv})
	all := nums(500, 0)
	b.enqueue(t, queue.Add, all...)
	// A second replica: its own store handle and pacer on the same Redis namespace and simulator.
	other, err := redisq.Open(srv.URL(), redisq.Options{Namespace: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	p2 := pusher.New(other, b.client, pusher.NewPacer(60000), nil, b.cfg)
	ctx, cancel := context.WithCancel(b.ctx)
	done := make(chan struct{})
	go func() { p2.Run(ctx); close(done) }()
	b.start(t)
	b.drained(t)
	cancel()
	<-done
	wantList(t, b.sim, all)
	if c := b.sim.Stats().Conflicts; c != 0 {
		t.Fatalf("%d conflicts: two pushers held the same numbers", c)
	}
}

func TestRedisRestartLosesNothing(t *testing.T) {
	srv := redistest.Start(t)
	b := setup(t, opts{redis: srv, rpm: 3000})
	first := nums(300, 0)
	b.enqueue(t, queue.Add, first...)
	b.start(t)
	b.waitFor(t, "the drain to start", func() bool { return len(b.sim.List()) > 0 })
	srv.Kill() // a crash: whatever Redis acknowledged is in its AOF
	b.waitFor(t, "the store to see Redis down", func() bool { _, err := b.q.Stats(b.ctx); return err != nil })
	if len(b.sim.List()) == len(first) {
		t.Fatal("the drain ended before the crash: the test proves nothing")
	}
	srv.Restart()
	second := nums(100, 1000)
	b.enqueue(t, queue.Add, second...)
	b.drained(t)
	wantList(t, b.sim, append(first, second...))
}

// TestRecoveredLeaseIsNotBackedOff: a pusher that died is not its numbers' failure. With a retry
// back-off of an hour, only a recovery that puts them back in line at once drains them.
func TestRecoveredLeaseIsNotBackedOff(t *testing.T) {
	b := setup(t, opts{})
	b.cfg.Backoff = func(int) time.Duration { return time.Hour }
	all := nums(10, 0)
	b.enqueue(t, queue.Add, all...)
	if got, err := b.q.Claim(b.ctx, 10, 50*time.Millisecond); err != nil || len(got) != 10 {
		t.Fatalf("claim: %d %v", len(got), err)
	}
	b.start(t)
	if st := b.drained(t); st.Dead != 0 {
		t.Fatalf("dead %d", st.Dead)
	}
	wantList(t, b.sim, all)
}

// recording is a client that notes the numbers of each add request.
type recording struct {
	cxone.Client
	mu       sync.Mutex
	requests [][]string
}

func (r *recording) Add(ctx context.Context, cs []cxone.Contact) []error {
	r.mu.Lock()
	var req []string
	for _, c := range cs {
		req = append(req, c.Number)
	}
	r.requests = append(r.requests, req)
	r.mu.Unlock()
	return r.Client.Add(ctx, cs)
}

// TestSuspectsArePushedAlone: numbers whose pushers died twice while holding them go one to a
// request, so a number that kills pushers takes no batch mates with it.
func TestSuspectsArePushedAlone(t *testing.T) {
	var ahead atomic.Int64
	b := setup(t, opts{ahead: &ahead})
	suspects := nums(4, 0)
	b.enqueue(t, queue.Add, suspects...)
	for range 2 { // two pushers die holding them
		if got, err := b.q.Claim(b.ctx, 10, 10*time.Millisecond); err != nil || len(got) != 4 {
			t.Fatalf("claim: %d %v", len(got), err)
		}
		ahead.Add(int64(20 * time.Millisecond)) // the store's clock: the leases run out
		if n, err := b.q.Recover(b.ctx, 5); err != nil || n != 4 {
			t.Fatalf("recover: %d %v", n, err)
		}
	}
	clean := nums(20, 100)
	b.enqueue(t, queue.Add, clean...)
	rec := &recording{Client: b.client}
	p := pusher.New(b.q, rec, b.pacer, b.sig.C(), b.cfg)
	ctx, cancel := context.WithCancel(b.ctx)
	defer cancel()
	go p.Run(ctx)
	b.drained(t)
	wantList(t, b.sim, append(suspects, clean...))
	alone := map[string]bool{}
	batched := 0
	for _, req := range rec.requests {
		if len(req) == 1 {
			alone[req[0]] = true
		} else {
			batched += len(req)
		}
		for _, n := range req {
			if slices.Contains(suspects, n) && len(req) != 1 {
				t.Fatalf("suspect %s pushed in a request of %d", n, len(req))
			}
		}
	}
	if len(alone) < len(suspects) || batched == 0 {
		t.Fatalf("requests %v: want each suspect alone and the clean numbers batched", rec.requests)
	}
}

// slowFirst is a client whose first add lasts until hold returns: longer than a lease.
type slowFirst struct {
	cxone.Client
	hold func(context.Context)
	once sync.Once
}

func (s *slowFirst) Add(ctx context.Context, cs []cxone.Contact) []error {
	s.once.Do(func() { s.hold(ctx) })
	return s.Client.Add(ctx, cs)
}

// counting counts what Recover recovered, and the extensions of leases.
type counting struct {
	queue.Queue
	recovered, extended atomic.Int64
}

func (c *counting) Extend(ctx context.Context, items []queue.Item, lease time.Duration) (int, error) {
	n, err := c.Queue.Extend(ctx, items, lease)
	if err == nil {
		c.extended.Add(1)
	}
	return n, err
}

func (c *counting) Recover(ctx context.Context, maxLost int) (int, error) {
	n, err := c.Queue.Recover(ctx, maxLost)
	c.recovered.Add(int64(n))
	return n, err
}

// TestHeartbeatHoldsALongPush: a push that lasts three leases keeps its leases, so no recoverer
// hands its numbers to another pusher while CXone is still answering.
func TestHeartbeatHoldsALongPush(t *testing.T) {
	b := setup(t, opts{})
	b.cfg.Lease = 900 * time.Millisecond
	all := nums(10, 0)
	b.enqueue(t, queue.Add, all...)
	q := &counting{Queue: b.q}
	start := time.Now()
	// The push lasts until its leases were extended nine times (every Lease/3): three leases.
	slow := &slowFirst{Client: b.client, hold: func(ctx context.Context) {
		waitUntil(ctx, func() bool { return q.extended.Load() >= 9 })
	}}
	p := pusher.New(q, slow, b.pacer, b.sig.C(), b.cfg)
	ctx, cancel := context.WithCancel(b.ctx)
	defer cancel()
	go p.Run(ctx)
	b.drained(t)
	if d := time.Since(start); d < 2*b.cfg.Lease || q.extended.Load() < 9 {
		t.Fatalf("drained in %v after %d extensions: the slow push did not happen", d, q.extended.Load())
	}
	if n := q.recovered.Load(); n != 0 {
		t.Fatalf("%d leases of a push in flight were recovered", n)
	}
	wantList(t, b.sim, all)
}

// TestAdaptsToALimitUnderTheCeiling: the organization's real limit is 25% under the configured one
// (shared with another integration), as a strict bucket of one. The pacer must find it and keep
// under it: pacing at the ceiling would draw a 429 for about every second request.
func TestAdaptsToALimitUnderTheCeiling(t *testing.T) {
	b := setup(t, opts{rpm: 1200, sim: cxonesim.Config{RatePerMinute: 900, Burst: 1}})
	b.cfg.BatchSize = 4
	all := nums(240, 0)
	b.enqueue(t, queue.Add, all...)
	b.start(t)
	b.drained(t)
	wantList(t, b.sim, all)
	st := b.sim.Stats()
	requests := 0
	for _, n := range st.Requests[cxonesim.KindV2Add] {
		requests += n
	}
	if st.RateLimited == 0 {
		t.Fatal("no 429: the limit under the ceiling was never met, the test proves nothing")
	}
	t.Logf("%d of %d requests answered 429; pace now %.0f a minute", st.RateLimited, requests, b.pacer.CurrentRPM())
	if st.RateLimited*5 > requests {
		t.Fatalf("%d of %d requests answered 429: the pace did not adapt", st.RateLimited, requests)
	}
}

// TestReplicasShareTheLimit: three pushers, each with its own store handle and pacer, draw from one
// limiter in Redis: together they send at the limit, not three times it.
func TestReplicasShareTheLimit(t *testing.T) {
	srv := redistest.Start(t)
	b := setup(t, opts{redis: srv, rpm: 1200, sim: cxonesim.Config{RatePerMinute: 1200, Burst: 1}})
	b.cfg.BatchSize = 5
	all := nums(300, 0)
	b.enqueue(t, queue.Add, all...)
	ctx, cancel := context.WithCancel(b.ctx)
	defer cancel()
	var wg sync.WaitGroup
	recs := make([]*recording, 3)
	for i := range recs {
		s, err := redisq.Open(srv.URL(), redisq.Options{Namespace: t.Name()})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		pacer := pusher.NewPacerWith(pusher.PacerConfig{RPM: 1200, Limiter: s.Limiter()})
		client := cxone.NewV2(cxone.V2Config{BaseURL: b.simURL, ClientID: "id", ClientSecret: "secret",
			ListID: "list", Pacer: pacer, Timeout: 2 * time.Second})
		recs[i] = &recording{Client: client}
		p := pusher.New(s, recs[i], pacer, nil, b.cfg)
		wg.Go(func() { p.Run(ctx) })
	}
	b.drained(t)
	cancel()
	wg.Wait()
	wantList(t, b.sim, all)
	for i, r := range recs {
		if len(r.requests) == 0 {
			t.Fatalf("replica %d sent nothing: the test proves nothing", i)
		}
	}
	st := b.sim.Stats()
	requests := 0
	for _, n := range st.Requests[cxonesim.KindV2Add] {
		requests += n
	}
	t.Logf("%d of %d requests answered 429", st.RateLimited, requests)
	// Three replicas pacing alone at the limit would draw a 429 for most requests.
	if st.RateLimited*10 > requests {
		t.Fatalf("%d of %d requests answered 429", st.RateLimited, requests)
	}
}

// TestSharedPauseSeenByEveryReplica: a 429 seen by one replica pauses all of them, and a replica that
// sends nothing reports the same rate and pause (the status page of any replica).
func TestSharedPauseSeenByEveryReplica(t *testing.T) {
	srv := redistest.Start(t)
	open := func() *pusher.Pacer {
		s, err := redisq.Open(srv.URL(), redisq.Options{Namespace: "pause"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return pusher.NewPacerWith(pusher.PacerConfig{RPM: 600, Limiter: s.Limiter()})
	}
	a, other := open(), open()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if p := a.Throttled(ctx, time.Hour); p != time.Hour {
		t.Fatalf("pause %v, want the Retry-After", p)
	}
	until := other.PausedUntil()
	if d := time.Until(until); d < 59*time.Minute || d > time.Hour+time.Second {
		t.Fatalf("the other replica sees the pause end in %v, want an hour", d)
	}
	if ra, rb := a.CurrentRPM(), other.CurrentRPM(); ra != rb || ra >= 600 {
		t.Fatalf("rates %v and %v: want one rate, lowered by the 429", ra, rb)
	}
	short, stop := context.WithTimeout(ctx, 200*time.Millisecond)
	defer stop()
	if err := other.Wait(short); err == nil {
		t.Fatal("the other replica was granted a request during the pause")
	}
}

// TestFailoverDuringDrainLosesNothing: the Redis primary crashes mid-drain while senders keep
// posting; Sentinel promotes the replica and the old primary rejoins as its replica. With
// MinReplicas 1 every acknowledged opt-out was on the replica, so every one reaches the list.
func TestFailoverDuringDrainLosesNothing(t *testing.T) {
	sen := redistest.StartSentinel(t)
	b := setup(t, opts{url: sen.URL(), store: redisq.Options{MinReplicas: 1}, rpm: 3000})
	b.cfg.BatchSize = 10
	b.cfg.Lease = 3 * time.Second // leases whose extension the crash lost run out soon
	t0 := time.Now()
	first := nums(300, 0)
	b.enqueue(t, queue.Add, first...)
	b.start(t)
	b.waitFor(t, "the drain to start", func() bool { return len(b.sim.List()) >= 30 })
	var mu sync.Mutex
	accepted := append([]string(nil), first...)
	// A batch whose write failed as far as the sender knows (the crash, or the wait for the
	// replica, cut its answer off) and that the sender stopped retrying: it may have landed.
	var unanswered []string
	var afterKill atomic.Int64
	var killed atomic.Bool
	sendCtx, stopSending := context.WithCancel(b.ctx)
	var sender sync.WaitGroup
	sender.Go(func() { // a sender that retries until answered 2xx, as webhook senders do
		pace := time.NewTicker(50 * time.Millisecond) // a request, or a retry, every 50 ms
		defer pace.Stop()
		next := func() {
			select {
			case <-sendCtx.Done():
			case <-pace.C:
			}
		}
		for i := 0; sendCtx.Err() == nil; i++ {
			batch := nums(10, 1000+10*i)
			now := time.Now().Truncate(time.Millisecond)
			evs := make([]queue.Event, len(batch))
			for j, n := range batch {
				evs[j] = queue.Event{Number: n, Raw: n, Action: queue.Add, OccurredAt: now, ReceivedAt: now}
			}
			for sendCtx.Err() == nil {
				if _, err := b.q.Enqueue(sendCtx, evs); err == nil {
					mu.Lock()
					accepted, unanswered = append(accepted, batch...), nil
					mu.Unlock()
					if killed.Load() {
						afterKill.Add(1)
					}
					break
				}
				mu.Lock()
				unanswered = batch
				mu.Unlock()
				next()
			}
			next()
		}
	})
	st, err := b.q.Stats(b.ctx)
	if err != nil || st.Depth() == 0 {
		t.Fatalf("the primary must crash mid-drain: %+v %v", st, err)
	}
	sen.Primary.Kill()
	killed.Store(true)
	sen.WaitFailover(30 * time.Second)
	t.Logf("failover after %v", time.Since(t0))
	sen.RejoinAsReplica()
	if !waitUntil(b.ctx, func() bool { return afterKill.Load() >= 3 }) {
		t.Fatalf("no opt-out acknowledged after the failover; sentinel log:\n%s", sen.Log())
	}
	t.Logf("acknowledged again after %v", time.Since(t0))
	stopSending()
	sender.Wait()
	b.drained(t)
	t.Logf("drained after %v", time.Since(t0))
	mu.Lock()
	defer mu.Unlock()
	// Every acknowledged opt-out is on the list; the one batch never answered may be too (a write
	// whose answer was lost lands: that is not a loss), whole or not at all.
	got := b.sim.List()
	if len(unanswered) > 0 && len(got) == len(accepted)+len(unanswered) {
		accepted = append(accepted, unanswered...)
	}
	wantList(t, b.sim, accepted)
}

// TestDrainOnCluster: two pushers drain one queue on a three-master Redis Cluster, drawing from
// its shared limiter.
func TestDrainOnCluster(t *testing.T) {
	c := redistest.StartCluster(t)
	b := setup(t, opts{url: c.URL()})
	all := nums(400, 0)
	b.enqueue(t, queue.Add, all...)
	other, err := redisq.Open(c.URL(), redisq.Options{Namespace: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	pacer := pusher.NewPacerWith(pusher.PacerConfig{RPM: 60000, Limiter: other.Limiter()})
	ctx, cancel := context.WithCancel(b.ctx)
	done := make(chan struct{})
	go func() { pusher.New(other, b.client, pacer, nil, b.cfg).Run(ctx); close(done) }()
	b.start(t)
	b.drained(t)
	cancel()
	<-done
	wantList(t, b.sim, all)
}
