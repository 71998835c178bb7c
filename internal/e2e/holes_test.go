package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dncsync/dncsync/internal/cxone/cxonesim"
	"github.com/dncsync/dncsync/internal/redistest"
)

// The end-to-end regressions of the paths that left a person callable again, dropped an opt-out
// with a 200, or let one sender or one disk take the service down. Each failed before its fix.

// lookupNumber reads /v1/numbers/{n}.
func lookupNumber(t *testing.T, p *proc, n string) (int, numberAnswer) {
	t.Helper()
	var a numberAnswer
	code := getJSON(t, p.url+"/v1/numbers/"+n, adminToken, &a)
	return code, a
}

type numberAnswer struct {
	State            string    `json:"state"`
	ConfirmedAction  string    `json:"confirmedAction"`
	ConfirmedExpires time.Time `json:"confirmedExpiresAt"`
	History          []struct {
		Kind      string    `json:"kind"`
		Action    string    `json:"action"`
		Detail    string    `json:"detail"`
		Reason    string    `json:"reason"`
		ExpiresAt time.Time `json:"expiresAt"`
	} `json:"history"`
}

func (a numberAnswer) has(kind, detail string) bool {
	for _, r := range a.History {
		if r.Kind == kind && (detail == "" || r.Detail == detail) {
			return true
		}
	}
	return false
}

// A past expiresAt must not un-protect a listed number; lookup shows the expiry CXone was told;
// reconcile restores a lost number with its confirmed expiry. (That a confirmed expiry once passed
// reads expired is the conformance suite's: the admin profile sends dates, so an expiry the test
// could wait for ends at the next midnight UTC at the earliest.)
func TestExpiryCannotUnprotect(t *testing.T) {
	sim, env := startAdminSim(t, 6000)
	p := startServe(t, append(env, "DNCSYNC_DATA_DIR="+t.TempDir(), "DNCSYNC_DNC_EXPIRES_AFTER=8760h")...)
	const listed, brief = "+14155550796", "+14155550797"
	post := func(body string, want int) {
		t.Helper()
		if code, resp, err := p.post(body); err != nil || code != want {
			t.Fatalf("post %s: %d %s %v, want %d", body, code, resp, err, want)
		}
	}
	entry := func(n string) (cxonesim.Entry, bool) {
		for _, e := range sim.Entries() {
			if e.Number == n {
				return e, true
			}
		}
		return cxonesim.Entry{}, false
	}
	post(`{"phoneNumber":"+14155550796"}`, 200)
	waitFor(t, "the opt-out to reach CXone", func() bool { return sim.Has(listed) })
	e, _ := entry(listed)
	if d := time.Until(e.ExpiresAt); d < 8760*time.Hour || d > 8760*time.Hour+72*time.Hour {
		t.Fatalf("CXone was told expiry %v, want the day after DNCSYNC_DNC_EXPIRES_AFTER from now", e.ExpiresAt)
	}
	waitFor(t, "the confirmation", func() bool { _, a := lookupNumber(t, p, listed); return a.State == "synced" })
	// The date sent is the day after the one the expiry falls in (cxone.wireExpiredDate): what it
	// guarantees in every time zone, the midnight before it, is what dncsync records as confirmed.
	_, a := lookupNumber(t, p, listed)
	if !a.ConfirmedExpires.Add(24 * time.Hour).Equal(e.ExpiresAt) {
		t.Fatalf("confirmed expiry %v, CXone's record ends %v", a.ConfirmedExpires, e.ExpiresAt)
	}
	confirmed := a.ConfirmedExpires

	// The hole: the same number with an expiry in the past, as a new event.
	post(`{"phoneNumber":"+14155550796","expiresAt":"2001-01-01T00:00:00Z","eventId":"later-1"}`, 400)
	_, a = lookupNumber(t, p, listed)
	if a.State != "synced" || !a.ConfirmedExpires.Equal(confirmed) || !a.has("rejected", "expires_in_past") {
		t.Fatalf("after a past expiresAt: %+v; want synced, the expiry CXone was told, the refusal kept", a)
	}
	if e2, ok := entry(listed); !ok || !e2.ExpiresAt.Equal(e.ExpiresAt) {
		t.Fatalf("CXone's entry changed to %+v", e2)
	}

	// An opt-out with its own end: the confirmation shows what CXone was told for it.
	until := time.Now().Add(30 * 24 * time.Hour).UTC()
	post(fmt.Sprintf(`{"phoneNumber":%q,"expiresAt":%q}`, brief, until.Format(time.RFC3339)), 200)
	waitFor(t, "the opt-out's confirmation", func() bool { _, a := lookupNumber(t, p, brief); return a.State == "synced" })
	_, a = lookupNumber(t, p, brief)
	last := a.History[len(a.History)-1]
	if d := a.ConfirmedExpires.Sub(until); d < 0 || d > 24*time.Hour || last.Kind != "confirmed" ||
		!last.ExpiresAt.Equal(a.ConfirmedExpires) {
		t.Fatalf("an opt-out until %v: %+v; want the confirmation to show the expiry sent", until, a)
	}

	// CXone loses the listed number; reconcile puts it back with the expiry it was confirmed with.
	sim.Delete(listed)
	cmd := exec.Command(binPath, "reconcile", "--server", p.url)
	cmd.Env = append(cleanEnv(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("reconcile: %v\n%s", err, out)
	}
	waitFor(t, "reconcile to restore the number", func() bool { return sim.Has(listed) })
	if e2, _ := entry(listed); !e2.ExpiresAt.Equal(e.ExpiresAt) {
		t.Fatalf("reconcile re-added with expiry %v, want the confirmed %v", e2.ExpiresAt, e.ExpiresAt)
	}
}

// Contradicting fields, a body that is both an event and a batch, several numbers in one field and
// duplicate keys are refused; nothing is acted on, and the refusal is kept.
func TestNoHalfAcceptedInput(t *testing.T) {
	sim, env := startSim(t, 6000)
	p := startServe(t, append(env, "DNCSYNC_DATA_DIR="+t.TempDir(), "DNCSYNC_ADMIN_TOKEN="+adminToken)...)
	if code, _, _ := p.post(`{"phoneNumber":"+14155550450"}`); code != 200 {
		t.Fatal("a plain opt-out was not accepted")
	}
	waitFor(t, "the opt-out to reach CXone", func() bool { return sim.Has("+14155550450") })
	for _, tc := range []struct {
		body string
		code int
	}{
		{`{"eventType":"contact.opt_out","action":"remove","phoneNumber":"+14155550450"}`, 400},
		{`{"phoneNumber":"+14155550451","events":[]}`, 400},
		{`{"phoneNumber":"+14155550452","events":[{"phoneNumber":"+14155550453"}]}`, 400},
		{`{"phoneNumber":"4155550503;4155550504"}`, 422},
		{`{"phoneNumber":"4155550505","phoneNumber":"4155550506"}`, 400},
		{`{"phoneNumber":"4155550507","data":{"phoneNumber":"4155550508"}}`, 400},
	} {
		code, body, err := p.post(tc.body)
		if err != nil || code != tc.code {
			t.Errorf("%s: %d %s %v, want %d", tc.body, code, body, err, tc.code)
		}
	}
	var stats struct{ Depth int }
	getJSON(t, p.url+"/v1/stats", adminToken, &stats)
	if stats.Depth != 0 {
		t.Fatalf("%d numbers queued by refused input", stats.Depth)
	}
	if _, a := lookupNumber(t, p, "+14155550450"); a.State != "synced" || !a.has("rejected", "contradictory_action") {
		t.Fatalf("the listed number after a contradictory event: %+v", a)
	}
	if code, a := lookupNumber(t, p, "4155550503;4155550504"); code != 200 || !a.has("rejected", "several_numbers") {
		t.Fatalf("several numbers: %d %+v, want the rejection kept", code, a)
	}
	if !sim.Has("+14155550450") || len(sim.List()) != 1 {
		t.Fatalf("CXone's list changed: %v", sim.List())
	}
}

// A sender posting megabytes of junk numbers must not fill Redis: what a rejection keeps is bounded.
func TestRejectionsCannotFillRedis(t *testing.T) {
	_, env := startSim(t, 6000)
	srv := redistest.Start(t)
	p := startServe(t, append(env, "REDIS_URL="+srv.URL(), "DNCSYNC_ADMIN_TOKEN="+adminToken)...)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	used := func() int64 {
		info, err := rdb.Info(context.Background(), "memory").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(info, "\r\n") {
			if v, ok := strings.CutPrefix(l, "used_memory:"); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				return n
			}
		}
		t.Fatal("no used_memory in INFO")
		return 0
	}
	before := used()
	// The Redis of the report: with room for about 24 MB, four of these requests filled it before
	// the bound (about 8 MB each), and every later opt-out was answered 503.
	if err := rdb.ConfigSet(context.Background(), "maxmemory", strconv.FormatInt(before+24<<20, 10)).Err(); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("9", 1000)
	for r := range 4 {
		var sb strings.Builder
		for i := range 1000 {
			fmt.Fprintf(&sb, `,{"phoneNumber":"%d%s"}`, r*1000+i, long)
		}
		body := "[" + sb.String()[1:] + "]"
		if len(body) < 1_000_000 {
			t.Fatalf("a body of %d bytes does not test the limit", len(body))
		}
		if code, resp, err := p.post(body); err != nil || code != 200 {
			t.Fatalf("batch %d: %d %.200s %v", r, code, resp, err)
		}
	}
	// Each kept rejection is the bounded raw input (256 bytes), the event (here 1 KB) in the
	// rejections stream and the trail, and a digest key: under 4 KB, where it was about 8 KB.
	if grew := used() - before; grew > 4000*4<<10 {
		t.Fatalf("4000 rejections of 1000-digit input grew Redis by %d bytes", grew)
	}
	if code, _, _ := p.post(`{"phoneNumber":"+14155552671"}`); code != 200 {
		t.Fatalf("an opt-out after the junk answered %d", code)
	}
	if code, a := lookupNumber(t, p, "1"+long); code != 200 || a.State != "rejected" {
		t.Fatalf("a long rejected input is not found by its digits: %d %+v", code, a)
	}
}

// A frozen disk must not hang the embedded store's senders: 503 at the store timeout, and /readyz
// says the store cannot commit; both recover when the disk thaws.
func TestFrozenDiskAnswers503(t *testing.T) {
	dir := loopMount(t)
	_, env := startSim(t, 6000)
	p := startServe(t, append(env, "DNCSYNC_DATA_DIR="+dir)...)
	if code, _, _ := p.post(`{"phoneNumber":"+14155552671"}`); code != 200 {
		t.Fatal("an opt-out before the freeze was not accepted")
	}
	if out, err := exec.Command("fsfreeze", "-f", dir).CombinedOutput(); err != nil {
		t.Fatalf("fsfreeze: %v %s", err, out)
	}
	thawed := false
	thaw := func() {
		if !thawed {
			thawed = true
			_ = exec.Command("fsfreeze", "-u", dir).Run()
		}
	}
	defer thaw()
	// Whatever happens, the disk thaws: a hang here must fail the test, not freeze the machine.
	watchdog := time.AfterFunc(2*time.Minute, thaw)
	defer watchdog.Stop()
	start := time.Now()
	code, _, err := p.post(`{"phoneNumber":"+14155552672"}`)
	if err != nil || code != http.StatusServiceUnavailable || time.Since(start) > 15*time.Second {
		t.Fatalf("a post to a frozen disk: %d %v after %v, want 503 at the store timeout", code, err, time.Since(start))
	}
	if c, body := p.readyzUntil(t, http.StatusServiceUnavailable, 15*time.Second); c != http.StatusServiceUnavailable || body["store"] == "ok" {
		t.Fatalf("readyz with a frozen disk: %d %v", c, body)
	}
	thaw()
	if c, body := p.readyzUntil(t, http.StatusOK, 15*time.Second); c != http.StatusOK {
		t.Fatalf("readyz after the thaw: %d %v", c, body)
	}
	if code, _, err := p.post(`{"phoneNumber":"+14155552673"}`); err != nil || code != 200 {
		t.Fatalf("a post after the thaw: %d %v", code, err)
	}
}

// loopMount mounts a small ext4 file system of its own, which a test may freeze without freezing
// the machine. It skips where that cannot be done (not root, no loop devices), except under CI.
func loopMount(t *testing.T) string {
	t.Helper()
	skip := func(why string, args ...any) {
		if os.Getenv("CI") == "true" {
			t.Fatalf(why, args...)
		}
		t.Skipf(why, args...)
	}
	if os.Geteuid() != 0 {
		skip("freezing a file system needs root")
	}
	for _, tool := range []string{"mkfs.ext4", "mount", "umount", "fsfreeze"} {
		if _, err := exec.LookPath(tool); err != nil {
			skip("%s not found", tool)
		}
	}
	base := t.TempDir()
	img, dir := filepath.Join(base, "fs.img"), filepath.Join(base, "mnt")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(img, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, 32<<20); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mkfs.ext4", "-q", "-F", img).CombinedOutput(); err != nil {
		skip("mkfs.ext4: %v %s", err, out)
	}
	if out, err := exec.Command("mount", "-o", "loop", img, dir).CombinedOutput(); err != nil {
		skip("loop mount: %v %s", err, out)
	}
	t.Cleanup(func() {
		_ = exec.Command("fsfreeze", "-u", dir).Run()
		if exec.Command("umount", dir).Run() != nil {
			_ = exec.Command("umount", "-l", dir).Run()
		}
	})
	return dir
}

// Unauthenticated /readyz calls must not each make a CXone login: a wrong secret costs one failed
// login per 30 s, however often /readyz is asked.
func TestReadyzDoesNotDriveLogins(t *testing.T) {
	sim, env := startAdminSim(t, 6000)
	env = append(env, "DNCSYNC_DATA_DIR="+t.TempDir(), "CXONE_ACCESS_KEY_SECRET=wrong-secret")
	p := startServeAt(t, "/healthz", env...)
	for range 30 {
		resp, err := http.Get(p.url + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var body map[string]string
		if resp.StatusCode != http.StatusServiceUnavailable || json.Unmarshal(b, &body) != nil || body["cxone"] == "ok" {
			t.Fatalf("readyz with a wrong secret: %d %s", resp.StatusCode, b)
		}
	}
	logins := 0
	for _, n := range sim.Stats().Requests["admin.token"] {
		logins += n
	}
	if logins < 1 || logins > 3 {
		t.Fatalf("30 readiness checks made %d login attempts, want 1 (the pusher may add one)", logins)
	}
}

// Redis settings that lose accepted opt-outs stop the service at start, unless overridden.
func TestServeRefusesRedisThatEvicts(t *testing.T) {
	_, env := startSim(t, 6000)
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	if err := rdb.ConfigSet(context.Background(), "maxmemory-policy", "allkeys-lru").Err(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binPath, "serve")
	cmd.Env = append(cleanEnv(), append(env, "REDIS_URL="+srv.URL(), "PORT=0")...)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "allkeys-lru") || !strings.Contains(string(out), "DNCSYNC_ALLOW_UNSAFE_REDIS") {
		t.Fatalf("serve with an evicting Redis: %v\n%s", err, out)
	}
	p := startServe(t, append(env, "REDIS_URL="+srv.URL(), "DNCSYNC_ALLOW_UNSAFE_REDIS=true")...)
	if code, _, _ := p.post(`{"phoneNumber":"+14155552671"}`); code != 200 {
		t.Fatal("the override did not start a working service")
	}
}

// Headers are bounded; /metrics can be closed; an audit export is safe to open in a spreadsheet.
func TestSmallerHoles(t *testing.T) {
	_, env := startSim(t, 6000)
	srv := redistest.Start(t)
	env = append(env, "REDIS_URL="+srv.URL(), "DNCSYNC_METRICS_TOKEN=metrics-token-0123456789")
	p := startServe(t, env...)
	req, _ := http.NewRequest(http.MethodPost, p.url+"/webhook/opt-out", strings.NewReader(`{"phoneNumber":"4155552671"}`))
	req.Header.Set("X-Padding", strings.Repeat("x", 100<<10))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("a request with 100 KiB of headers: %v %v, want 431", resp, err)
	}
	if code := getJSON(t, p.url+"/metrics", "", nil); code != http.StatusUnauthorized {
		t.Fatalf("/metrics without its token: %d", code)
	}
	if code := getJSON(t, p.url+"/metrics", "metrics-token-0123456789", nil); code != http.StatusOK {
		t.Fatalf("/metrics with its token: %d", code)
	}
	if code, _, _ := p.post(`{"phoneNumber":"4155552671","source":"=HYPERLINK(\"http://x\")","reason":"@SUM(A1)"}`); code != 200 {
		t.Fatal("opt-out not accepted")
	}
	cmd := exec.Command(binPath, "audit", "export", "--format", "csv")
	cmd.Env = append(cleanEnv(), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	if !strings.Contains(string(out), `'=HYPERLINK`) || !strings.Contains(string(out), `'@SUM(A1)`) ||
		!strings.Contains(string(out), ",+14155552671,") {
		t.Fatalf("export does not neutralize formulas or mangles numbers:\n%s", out)
	}
}
