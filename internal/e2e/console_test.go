package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dncsync/dncsync/internal/cxone/cxonesim"
)

// chromium finds Debian's Chromium (.ci/run installs it); a local run without it skips, CI fails.
func chromium(t *testing.T) string {
	for _, p := range []string{"chromium", "chromium-browser"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed (apt-get install chromium); .ci/run installs it")
	}
	t.Skip("chromium is not installed (apt-get install chromium)")
	return ""
}

// TestStatusPageInChromium loads the status page of the real binary in headless Chromium: the login
// form, then the page with a dead letter and its error, a lookup, and the chart; it saves a
// screenshot (DNCSYNC_SCREENSHOT names the file; default in the test's temporary directory).
func TestStatusPageInChromium(t *testing.T) {
	browser := chromium(t)
	sim, env := startSim(t, 6000)
	sim.SetFaults(cxonesim.Faults{ServerError: 1})
	p := startServe(t, append(env, "DNCSYNC_DATA_DIR="+t.TempDir(), "DNCSYNC_ADMIN_TOKEN="+adminToken,
		"DNCSYNC_MAX_ATTEMPTS=1")...)
	if code, body, err := p.post(`{"phoneNumber":"(415) 555-2671","source":"web"}`); err != nil || code != 200 {
		t.Fatalf("post: %d %s %v", code, body, err)
	}
	var st struct{ DeadLetters int }
	waitFor(t, "the number to be dead-lettered", func() bool {
		getJSON(t, p.url+"/v1/stats", adminToken, &st)
		return st.DeadLetters == 1
	})

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 1400))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	defer cancelT()

	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("chromium: %s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("chromium: text of %s: %v", sel, err)
		}
		return s
	}
	do("open the page", chromedp.Navigate(p.url+"/"), chromedp.WaitVisible(`input[name=token]`)) // the login form
	loginTitle, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	do("sign in", chromedp.SendKeys(`input[name=token]`, adminToken), chromedp.Submit(`input[name=token]`),
		chromedp.WaitVisible(`#queue`))
	depth, dead, deadRow, clock := text(`#depth b`), text(`#dead b`), text(`#dead-letters table`), text(`#business-days`)
	do("look up", chromedp.SendKeys(`input[name=number]`, "415-555-2671"), chromedp.Submit(`input[name=number]`),
		chromedp.WaitVisible(`#lookup-result`))
	state := text(`#lookup-state`)
	charts, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#chart svg, #chart .note').length`))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(loginTitle, "sign in") {
		t.Fatalf("first page %q, want the login form", loginTitle)
	}
	if depth != "0" || dead != "1" {
		t.Fatalf("tiles: depth %q dead %q", depth, dead)
	}
	if !strings.Contains(deadRow, "+14155552671") || !strings.Contains(deadRow, "cxone add") {
		t.Fatalf("dead-letter table lacks the number or CXone's error:\n%s", deadRow)
	}
	if !strings.Contains(clock, "Nothing waits") {
		t.Fatalf("compliance clock %q", clock)
	}
	if state != "dead" {
		t.Fatalf("lookup state %q, want dead", state)
	}
	if charts == 0 {
		t.Fatal("no chart section")
	}
	path := os.Getenv("DNCSYNC_SCREENSHOT")
	if path == "" {
		path = filepath.Join(t.TempDir(), "status.png")
	}
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(shot))
}
