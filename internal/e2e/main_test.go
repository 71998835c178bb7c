package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dncsync/dncsync/internal/cxone/cxonesim"
	"github.com/dncsync/dncsync/internal/poll"
	"github.com/dncsync/dncsync/internal/queue/boltq"
	"github.com/dncsync/dncsync/internal/redistest"
)

// The end-to-end tests run the real binary (built once, with -race, in TestMain) against the
// simulators in this process.

var binPath string

// The exit statuses the tests hold the binary to (internal/cli).
const (
	exitNothingImported = 3
	exitTooManyRejected = 4
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dncsync-e2e-")
	if err != nil {
		panic(err)
	}
	binPath = filepath.Join(dir, "dncsync")
	out, err := exec.Command("go", "build", "-race", "-o", binPath, "github.com/dncsync/dncsync/cmd/dncsync").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build dncsync: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const webhookToken = "e2e-token-0123456789abcdef"

// e2eClient posts with a timeout: a service that hangs fails its test instead of the whole run.
var e2eClient = &http.Client{Timeout: time.Minute}

// proc is one running `dncsync serve`.
type proc struct {
	t      *testing.T
	env    []string
	url    string // where it listens, read from its log at each start
	cmd    *exec.Cmd
	stderr *logBuffer
	ready  string // the path that answers 200 once started
}

// waitFor polls cond until it holds, failing the test after 30 s: the one wait of these tests for
// what another process does (they cannot share its signals or clock).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	poll.For(t, what, 30*time.Second, cond)
}

// deadURL is an address where nothing listens, ever: no process can listen on port 0, so a
// connection is refused at once (a port found free a moment ago could be taken since).
const deadURL = "http://127.0.0.1:0"

// logBuffer is a process's stderr: os/exec's copier writes it while the test reads it.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// servingAddr is the port of the service's "dncsync serving" log line, in JSON or text.
var servingAddr = regexp.MustCompile(`"?msg"?[=:]"dncsync serving"[ ,]"?addr"?[=:]"?[^\s"]*:(\d+)`)

func startServe(t *testing.T, env ...string) *proc {
	t.Helper()
	return startServeAt(t, "/readyz", env...)
}

// startServeAt starts serve and waits for path to answer 200 (/healthz for a service that is not
// meant to become ready).
func startServeAt(t *testing.T, path string, env ...string) *proc {
	t.Helper()
	// PORT=0: the kernel picks a free port as serve listens, which serve logs at info (a port the
	// test picked could be taken between its check and serve's listen).
	p := &proc{t: t, ready: path, env: append([]string{"PORT=0", "DNCSYNC_LOG_LEVEL=info"}, env...)}
	p.start()
	t.Cleanup(p.kill)
	return p
}

func (p *proc) start() {
	p.t.Helper()
	p.stderr = &logBuffer{}
	p.cmd = exec.Command(binPath, "serve")
	p.cmd.Env = append(os.Environ(), p.env...)
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	up := poll.Within(20*time.Second, func() bool {
		m := servingAddr.FindStringSubmatch(p.stderr.String())
		if m == nil {
			return false
		}
		p.url = "http://127.0.0.1:" + m[1]
		resp, err := http.Get(p.url + p.ready)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	if !up {
		p.t.Fatalf("dncsync serve: %s not 200 in 20s; stderr:\n%s", p.ready, p.stderr)
	}
}

// port is the PORT setting of the running service, for the commands that read it.
func (p *proc) port() string { return "PORT=" + p.url[strings.LastIndex(p.url, ":")+1:] }

// readyzUntil polls /readyz until it answers want or d has passed, and returns the last answer.
func (p *proc) readyzUntil(t *testing.T, want int, d time.Duration) (int, map[string]string) {
	t.Helper()
	var code int
	var body map[string]string
	poll.Within(d, func() bool {
		resp, err := http.Get(p.url + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		body = nil
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("readyz answered %d with a body that is not JSON: %v", resp.StatusCode, err)
		}
		code = resp.StatusCode
		return code == want
	})
	return code, body
}

// kill is a crash: SIGKILL, no shutdown.
func (p *proc) kill() {
	if p.cmd != nil && p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
	}
}

func (p *proc) post(body string, headers ...string) (int, string, error) {
	req, _ := http.NewRequest(http.MethodPost, p.url+"/webhook/opt-out", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+webhookToken)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e2eClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

func startSim(t *testing.T, rpm int) (*cxonesim.Server, []string) {
	sim := cxonesim.New(cxonesim.Config{ClientID: "e2e", ClientSecret: "e2e-secret", ListID: "e2e-list",
		RatePerMinute: rpm, Seed: 11})
	url, stop := sim.Start()
	t.Cleanup(stop)
	return sim, []string{"CXONE_API=v2", "CXONE_BASE_URL=" + url, "CXONE_CLIENT_ID=e2e",
		"CXONE_CLIENT_SECRET=e2e-secret", "CXONE_DNC_LIST_ID=e2e-list", fmt.Sprintf("CXONE_RATE_LIMIT_RPM=%d", rpm),
		"DNCSYNC_WEBHOOK_AUTH=token", "DNCSYNC_WEBHOOK_TOKEN=" + webhookToken, "DNCSYNC_BATCH_LINGER=20ms",
		"DNCSYNC_RETRY_BACKOFF=200ms", "DNCSYNC_LEASE=30s"}
}

// corpus is what senders post: valid numbers in many human formats (each more than once), and junk.
type corpus struct {
	bodies []string
	want   []string // E.164 of every valid number
}

func makeCorpus(nValid int) corpus {
	r := rand.New(rand.NewPCG(1, 2))
	var c corpus
	for i := range nValid {
		// UK numbers repeat every 1000; keep each one's slot unique by stepping past repeats.
		if i%5 == 4 && i >= 1000 {
			c.bodies = append(c.bodies, fmt.Sprintf(`{"phoneNumber":"+1 415 555 %04d"}`, 2000+i))
			c.want = append(c.want, fmt.Sprintf("+1415555%04d", 2000+i))
			continue
		}
		var e164 string
		var forms []string
		if i%5 == 4 { // a UK number, national and international
			n := fmt.Sprintf("%04d", i%1000)
			e164 = "+44207946" + n
			forms = []string{
				fmt.Sprintf(`{"phoneNumber":"020 7946 %s","country":"GB","source":"crm"}`, n),
				fmt.Sprintf(`{"eventType":"contact.opt_out","data":{"phoneNumber":"+44 20 7946 %s"}}`, n),
			}
		} else {
			line := fmt.Sprintf("%04d", 2000+i)
			e164 = "+1415555" + line
			forms = []string{
				fmt.Sprintf(`{"eventType":"contact.opt_out","data":{"phoneNumber":"(415) 555-%s"}}`, line),
				fmt.Sprintf(`{"eventType":"contact.do_not_call.add","data":{"contact":{"phoneNumber":"+1 415 555 %s"}}}`, line),
				fmt.Sprintf(`{"phoneNumber":"1-415-555-%s ext. 9","channel":"sms"}`, line),
			}
		}
		c.want = append(c.want, e164)
		c.bodies = append(c.bodies, forms[:1+r.IntN(len(forms))]...)
	}
	junk := []string{`{"phoneNumber":"12"}`, `{"phoneNumber":"+1 200 555 0100"}`, `{"phoneNumber":"not a number"}`,
		`{"data":{}}`, `{"phoneNumber":`, `{"phoneNumber":"+999 1234"}`}
	for i := range nValid / 5 {
		c.bodies = append(c.bodies, junk[i%len(junk)])
	}
	r.Shuffle(len(c.bodies), func(i, j int) { c.bodies[i], c.bodies[j] = c.bodies[j], c.bodies[i] })
	return c
}

// send posts every body like a real sender: retry on 5xx or no answer, give up on 4xx. Batches of
// several bodies go as one JSON array. It returns every number an answer said was accepted.
func send(t *testing.T, p *proc, bodies []string, workers int) map[string]bool {
	t.Helper()
	var wg sync.WaitGroup
	work := make(chan string)
	var mu sync.Mutex
	var failures []string
	accepted := map[string]bool{}
	record := func(resp string) {
		var one result
		var many struct{ Results []result }
		mu.Lock()
		defer mu.Unlock()
		if json.Unmarshal([]byte(resp), &many) == nil && many.Results != nil {
			for _, r := range many.Results {
				if r.Status == "accepted" || r.Status == "duplicate" {
					accepted[r.PhoneNumber] = true
				}
			}
		} else if json.Unmarshal([]byte(resp), &one) == nil && one.Status == "accepted" {
			accepted[one.PhoneNumber] = true
		}
	}
	for range workers {
		wg.Go(func() {
			for body := range work {
				// A 5xx or no answer (a service restarting, a store briefly away) is sent again,
				// as a sender would.
				var code int
				var err error
				answered := poll.Within(20*time.Second, func() bool {
					var resp string
					code, resp, err = p.post(body)
					if err != nil || code >= 500 {
						return false
					}
					record(resp)
					if code != 200 && code != 400 && code != 422 {
						mu.Lock()
						failures = append(failures, fmt.Sprintf("%d %s for %s", code, resp, body))
						mu.Unlock()
					}
					return true
				})
				if !answered {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("gave up on %s: %v %d", body, err, code))
					mu.Unlock()
				}
			}
		})
	}
	for i := 0; i < len(bodies); {
		n := 1 + i%7 // a mix of single events and batches; malformed JSON goes alone
		if n == 1 || i+n > len(bodies) || !allValid(bodies[i:i+n]) {
			work <- bodies[i]
			i++
			continue
		}
		work <- "[" + strings.Join(bodies[i:i+n], ",") + "]"
		i += n
	}
	close(work)
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d unexpected answers, first: %s", len(failures), failures[0])
	}
	return accepted
}

type result struct{ Status, PhoneNumber string }

func allValid(bodies []string) bool {
	for _, b := range bodies {
		if !json.Valid([]byte(b)) {
			return false
		}
	}
	return true
}

// sameSet fails unless the numbers accepted are exactly the valid numbers sent.
func sameSet(t *testing.T, accepted map[string]bool, want []string) {
	t.Helper()
	got := make([]string, 0, len(accepted))
	for n := range accepted {
		got = append(got, n)
	}
	sort.Strings(got)
	w := append([]string(nil), want...)
	sort.Strings(w)
	if fmt.Sprint(got) != fmt.Sprint(w) {
		missing, extra := diff(w, got)
		t.Fatalf("accepted %d numbers, sent %d valid; not accepted %v, accepted but not sent %v", len(got), len(w), head(missing), head(extra))
	}
}

func waitForList(t *testing.T, sim *cxonesim.Server, want []string, within time.Duration) {
	t.Helper()
	w := append([]string(nil), want...)
	sort.Strings(w)
	var got []string
	if !poll.Within(within, func() bool { got = sim.List(); return fmt.Sprint(got) == fmt.Sprint(w) }) {
		missing, extra := diff(w, got)
		t.Fatalf("list has %d numbers, want %d; missing %d (e.g. %v), extra %d (e.g. %v); sim %+v",
			len(got), len(w), len(missing), head(missing), len(extra), head(extra), sim.Stats())
	}
}

func diff(want, got []string) (missing, extra []string) {
	g := map[string]bool{}
	for _, n := range got {
		g[n] = true
	}
	w := map[string]bool{}
	for _, n := range want {
		w[n] = true
		if !g[n] {
			missing = append(missing, n)
		}
	}
	for _, n := range got {
		if !w[n] {
			extra = append(extra, n)
		}
	}
	return
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func head(s []string) []string { return s[:min(3, len(s))] }

// TestEndToEnd drives thousands of events through the real binary into a faulty simulator, kills
// the process with SIGKILL in the middle, restarts it, and requires the exact final list.
func TestEndToEnd(t *testing.T) {
	for _, store := range []string{"embedded", "redis"} {
		t.Run(store, func(t *testing.T) {
			sim, env := startSim(t, 30000)
			sim.SetFaults(cxonesim.Faults{RateLimit429: 0.05, RetryAfter: "1", ServerError: 0.05,
				LostAfterApply: 0.1, ExpireTokens: 0.03, HTMLError: 0.02})
			if store == "redis" {
				env = append(env, "REDIS_URL="+redistest.Start(t).URL())
			} else {
				env = append(env, "DNCSYNC_DATA_DIR="+t.TempDir())
			}
			c := makeCorpus(2000)
			half := len(c.bodies) / 2
			p := startServe(t, env...)
			arrived, release := sim.HoldRequests() // the first batch to reach CXone waits, unanswered
			accepted := send(t, p, c.bodies[:half], 16)
			inFlight(t, arrived)
			p.kill() // a crash with work queued and a batch in flight
			release()
			p.start()
			for n := range send(t, p, c.bodies[half:], 16) {
				accepted[n] = true
			}
			sameSet(t, accepted, c.want)
			waitForList(t, sim, c.want, 90*time.Second)
		})
	}
}

func TestGracefulShutdownReleasesWork(t *testing.T) {
	sim, env := startSim(t, 60) // slow: most work is still queued at shutdown
	dir := t.TempDir()
	p := startServe(t, append(env, "DNCSYNC_DATA_DIR="+dir)...)
	c := makeCorpus(300)
	arrived, release := sim.HoldRequests() // the first batch to reach CXone waits, unanswered
	defer release()
	sameSet(t, send(t, p, c.bodies, 8), c.want)
	inFlight(t, arrived)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	// The batch is answered only once the service is shutting down with it in flight.
	waitFor(t, "serve to start shutting down", func() bool { return strings.Contains(p.stderr.String(), "shutting down") })
	release()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM; stderr:\n%s", err, p.stderr)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("serve did not stop within 40s of SIGTERM")
	}
	q, err := boltq.Open(filepath.Join(dir, "dncsync.db"), boltq.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	st, err := q.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Leased != 0 {
		t.Fatalf("%d items left leased after a graceful shutdown", st.Leased)
	}
	// Every accepted number is on the list or still queued (a repeat after its sync queues it again).
	items, err := q.Claim(context.Background(), 1000, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	held := map[string]bool{}
	for _, n := range sim.List() {
		held[n] = true
	}
	for _, it := range items {
		held[it.Number] = true
	}
	if missing, _ := diff(c.want, keys(held)); len(missing) > 0 || len(items) == 0 {
		t.Fatalf("after shutdown %d accepted numbers are neither listed nor queued (e.g. %v); %d queued", len(missing), head(missing), len(items))
	}
}

// inFlight fails the test unless a request reached the simulator and waits there unanswered
// (cxonesim.HoldRequests): a crash or a shutdown test that stops a service with nothing in flight
// proves nothing.
func inFlight(t *testing.T, arrived <-chan struct{}) {
	t.Helper()
	select {
	case <-arrived:
	case <-time.After(30 * time.Second):
		t.Fatal("no request reached the simulator in 30s: nothing is in flight to stop")
	}
}

func TestServeRefusesBadSettings(t *testing.T) {
	for _, tc := range []struct {
		env  []string
		want string
	}{
		{[]string{"CXONE_API="}, "CXONE_API is required"},
		{[]string{"CXONE_API=v2", "DNCSYNC_WEBHOOK_AUTH=none"}, "CXONE_BASE_URL is required"},
		{[]string{"CXONE_API=v2", "CXONE_BASE_URL=http://x", "CXONE_CLIENT_ID=a", "CXONE_CLIENT_SECRET=b",
			"CXONE_DNC_LIST_ID=c"}, "DNCSYNC_WEBHOOK_AUTH is required"},
		{[]string{"DNCSYNC_BATCH_LINGER=soon"}, "DNCSYNC_BATCH_LINGER=\"soon\" is not a duration"},
		{[]string{"DNCSYNC_DEFAULT_REGION=XX"}, "DNCSYNC_DEFAULT_REGION=\"XX\""},
		{[]string{"DNCSYNC_WEBHOOK_AUTH=token", "DNCSYNC_WEBHOOK_TOKEN=short"}, "DNCSYNC_WEBHOOK_TOKEN must be set"},
		// A secret pasted with its line break is another secret; a short HMAC key can be guessed.
		{[]string{"DNCSYNC_WEBHOOK_AUTH=token", "DNCSYNC_WEBHOOK_TOKEN=" + webhookToken + "\n"}, "DNCSYNC_WEBHOOK_TOKEN has spaces"},
		{[]string{"DNCSYNC_ADMIN_TOKEN= " + adminToken}, "DNCSYNC_ADMIN_TOKEN has spaces"},
		{[]string{"DNCSYNC_WEBHOOK_AUTH=standard", "DNCSYNC_WEBHOOK_SECRET=whsec_c2hvcnQ="}, "DNCSYNC_WEBHOOK_SECRET: a secret of 5 bytes"},
		{[]string{"DNCSYNC_METRICS_TOKEN=short"}, "DNCSYNC_METRICS_TOKEN must be at least 16"},
	} {
		cmd := exec.Command(binPath, "serve")
		cmd.Env = append(cleanEnv(), tc.env...)
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Fatalf("serve started with %v", tc.env)
		}
		if !strings.Contains(string(out), tc.want) {
			t.Fatalf("with %v the message does not say %q:\n%s", tc.env, tc.want, out)
		}
	}
}

// cleanEnv is the environment without any dncsync setting the developer may have exported.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CXONE_") && !strings.HasPrefix(kv, "DNCSYNC_") && !strings.HasPrefix(kv, "REDIS_URL=") {
			out = append(out, kv)
		}
	}
	return out
}

func TestReadyzSaysWhyRedisIsDown(t *testing.T) {
	_, env := startSim(t, 6000)
	srv := redistest.Start(t)
	p := startServe(t, append(env, "REDIS_URL="+srv.URL())...)
	srv.Kill()
	// Readiness results are reused for a second (see ready.go): the change shows within a few.
	code, body := p.readyzUntil(t, http.StatusServiceUnavailable, 5*time.Second)
	if code != http.StatusServiceUnavailable || body["store"] == "ok" || body["cxone"] != "ok" {
		t.Fatalf("readyz with Redis down: %d %v", code, body)
	}
	code, _, err := p.post(`{"phoneNumber":"+14155552671"}`)
	if err != nil || code != http.StatusServiceUnavailable {
		t.Fatalf("intake with Redis down answered %d, %v; want 503", code, err)
	}
	srv.Restart()
	if !poll.Within(10*time.Second, func() bool {
		code, _, err = p.post(`{"phoneNumber":"+14155552671"}`)
		return err == nil && code == http.StatusOK
	}) {
		t.Fatalf("intake did not recover after Redis came back: %d %v", code, err)
	}
	// A Redis that answers but cannot take writes (out of memory under noeviction) is not ready.
	if code, body := p.readyzUntil(t, http.StatusOK, 5*time.Second); code != http.StatusOK {
		t.Fatalf("readyz after Redis came back: %d %v", code, body)
	}
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	if err := rdb.ConfigSet(context.Background(), "maxmemory", "1").Err(); err != nil {
		t.Fatal(err)
	}
	if code, body := p.readyzUntil(t, http.StatusServiceUnavailable, 5*time.Second); code != http.StatusServiceUnavailable ||
		!strings.Contains(body["store"], "OOM") {
		t.Fatalf("readyz with Redis out of memory: %d %v", code, body)
	}
	if code, _, err := p.post(`{"phoneNumber":"+14155552672"}`); err != nil || code != http.StatusServiceUnavailable {
		t.Fatalf("intake with Redis out of memory answered %d, %v; want 503", code, err)
	}
}
