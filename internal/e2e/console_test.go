package e2e

import (
	"context"
	_ "embed"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dncsync/dncsync/internal/cxone/cxonesim"
	"github.com/dncsync/dncsync/internal/poll"
	"github.com/dncsync/dncsync/internal/webhook/webhooksim"
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

// contrastJS computes, for every visible element with text of its own, the WCAG contrast of its
// text colour (an SVG text's fill) against its effective background: the background colours of it
// and its ancestors, composited over white up to the first opaque one. It returns the elements
// below AA: 4.5:1, or 3:1 for large text (24px, or 18.66px bold).
//
//go:embed testdata/contrast.js
var contrastJS string

type contrastReport struct {
	Checked  int
	Failures []struct {
		Text, Tag, Fg, Bg string
		Ratio, Min        float64
	}
}

// TestStatusPageInChromium loads the status page of the real binary, with three destinations, in
// headless Chromium: the login form, then the page with CXone's dead letter, each destination's
// pace and recent requests, a lookup with a line and a column per destination, the charts; every
// visible text meets WCAG AA contrast, on the login form and on the page. It saves a screenshot
// (DNCSYNC_SCREENSHOT names the file; default in the test's temporary directory).
func TestStatusPageInChromium(t *testing.T) {
	browser := chromium(t)
	sim, env := startSim(t, 6000)
	sim.SetFaults(cxonesim.Faults{ServerError: 1})
	_, genv := startGenesys(t, 6000)
	_, wenv := startReceiver(t, webhooksim.Config{Seed: 5})
	for _, e := range wenv {
		if !strings.HasPrefix(e, "DNCSYNC_DESTINATIONS=") {
			env = append(env, e)
		}
	}
	env = append(append(env, genv...), "DNCSYNC_DESTINATIONS=cxone,genesys,webhook")
	p := startServe(t, append(env, "DNCSYNC_DATA_DIR="+t.TempDir(), "DNCSYNC_ADMIN_TOKEN="+adminToken,
		"DNCSYNC_MAX_ATTEMPTS=1")...)
	if code, body, err := p.post(`{"phoneNumber":"(415) 555-2671","source":"web"}`); err != nil || code != 200 {
		t.Fatalf("post: %d %s %v", code, body, err)
	}
	var st struct {
		DeadLetters  int
		Destinations map[string]struct{ LastPushAt *time.Time }
	}
	waitFor(t, "the number to be dead-lettered at CXone and confirmed by the others", func() bool {
		getJSON(t, p.url+"/v1/status", adminToken, &st)
		return st.DeadLetters == 1 && st.Destinations["genesys"].LastPushAt != nil && st.Destinations["webhook"].LastPushAt != nil
	})
	// The rates need three samples, taken every 30 s from the start: wait for them, so that the
	// charts, their legends and axes are on the page whose contrast is checked.
	poll.ForEvery(t, "the charts (three samples, one every 30 s)", 2*time.Minute, time.Second, func() bool {
		return strings.Contains(pageHTML(t, p), `id="rates"`)
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
	count := func(sel string) int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+jsString(sel)+`).length`))
		if err != nil {
			t.Fatalf("chromium: count %s: %v", sel, err)
		}
		return n
	}
	svgText := func(sel string) string { // SVG elements have no innerText
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(`+jsString(sel)+`).textContent`))
		if err != nil {
			t.Fatalf("chromium: text of %s: %v", sel, err)
		}
		return s
	}
	readContrast := func(page string, atLeast int) contrastReport {
		t.Helper()
		out, err := chromedp.Run(ctx, chromedp.Evaluate[string](contrastJS))
		if err != nil {
			t.Fatalf("chromium: contrast of the %s: %v", page, err)
		}
		var r contrastReport
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("contrast report %q: %v", out, err)
		}
		if r.Checked < atLeast {
			t.Fatalf("contrast of the %s: only %d texts checked: %s", page, r.Checked, out)
		}
		return r
	}
	contrast := func(page string, atLeast int) {
		t.Helper()
		r := readContrast(page, atLeast)
		for _, f := range r.Failures {
			t.Errorf("%s: %s %q: contrast %.2f:1 (%s on %s), WCAG AA needs %.1f:1", page, f.Tag, f.Text, f.Ratio, f.Fg, f.Bg, f.Min)
		}
		t.Logf("contrast of the %s: %d texts checked", page, r.Checked)
	}
	do("open the page", chromedp.Navigate(p.url+"/"), chromedp.WaitVisible(`input[name=token]`)) // the login form
	loginTitle, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	contrast("login form", 4)
	do("sign in", chromedp.SendKeys(`input[name=token]`, adminToken), chromedp.Submit(`input[name=token]`),
		chromedp.WaitVisible(`#queue`))
	depth, dead, deadRow, clock := text(`#depth b`), text(`#dead b`), text(`#dead-letters table`), text(`#business-days`)
	destTable, pushes, paceTiles := text(`#destinations`), text(`#pushes`), count(`#pacing`)
	do("look up", chromedp.SendKeys(`input[name=number]`, "415-555-2671"), chromedp.Submit(`input[name=number]`),
		chromedp.WaitVisible(`#lookup-result`))
	state, summary, history := text(`#lookup-state`), text(`#lookup-destinations`), text(`#lookup-result table`)
	charts, keys, axis := count(`#chart svg`), count(`#chart .legend .key`), svgText(`#rates [data-axis=start]`)
	contrast("status page", 40)
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		t.Fatal(err)
	}
	// The check finds what it looks for: the old header clock's grey on the header's dark blue,
	// whose background is its parent's, fails; a large one at 3:1 and a light one pass.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int](`(() => {
		const d = document.createElement('div');
		d.style.background = '#1d2430';
		d.innerHTML = '<span>old clock</span><span style="font-size:24px;color:#949494;background:#fff">large</span><b style="color:#c5ccd8">new</b>';
		d.firstChild.style.color = '#4a5466';
		document.querySelector('main').prepend(d);
		return 1;
	})()`)); err != nil {
		t.Fatal(err)
	}
	if r := readContrast("probe", 40); len(r.Failures) != 1 || r.Failures[0].Text != "old clock" || r.Failures[0].Ratio > 2.1 ||
		r.Failures[0].Bg != "#1d2430" {
		t.Fatalf("the contrast check on a probe: %+v; want the old clock alone, at 2.04:1 on #1d2430", r.Failures)
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
	if !strings.Contains(clock, "Nothing waits for any destination") {
		t.Fatalf("compliance clock %q", clock)
	}
	// Each destination's pace in the table, no pacing tile that cannot tell.
	if paceTiles != 0 || strings.Count(destTable, "requests/min") != 3 {
		t.Fatalf("%d pacing tiles; destinations table:\n%s", paceTiles, destTable)
	}
	for _, title := range []string{"NICE CXone", "Genesys Cloud", "signed webhook"} {
		if !strings.Contains(destTable, title) || !strings.Contains(pushes, title) || !strings.Contains(summary, title) {
			t.Fatalf("%s missing from the destinations, the recent requests or the lookup:\n%s\n%s\n%s",
				title, destTable, pushes, summary)
		}
	}
	if state != "dead" || !strings.Contains(history, "destination") || strings.Count(history, "confirmed") != 2 {
		t.Fatalf("lookup state %q; history:\n%s", state, history)
	}
	// Two charts; the legends' keys: depth, intake and three drains; a time axis in seconds or minutes.
	if charts != 2 || keys != 5 || !(strings.HasSuffix(axis, " s") || strings.HasSuffix(axis, " min")) {
		t.Fatalf("%d charts, %d legend keys, time axis from %q", charts, keys, axis)
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

// jsString quotes s as a JavaScript string.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// pageHTML is the status page as the admin token sees it.
func pageHTML(t *testing.T, p *proc) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, p.url+"/", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := e2eClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
