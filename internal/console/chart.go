package console

import (
	"fmt"
	"html/template"
	"math"
	"sort"
	"strings"
	"time"
)

// series is one line of a chart.
type series struct {
	name, color string
	pts         []float64
	value       string // the legend's figure
}

const chartW, chartH, pad = 560.0, 150.0, 56.0 // pad: room for "200/min" left of the axis

// Colours of the lines: intake, then each destination's drain. Each has 3:1 contrast on white (a
// graphical object's WCAG minimum); the legend's text stays dark beside its key.
var palette = []string{"#1b7d3e", "#2f6fde", "#b35c00", "#7b3fb5", "#c62828", "#00788a"}

// collecting is what a chart says until it has the samples it needs.
const collecting = "collecting…"

// chart renders the samples as inline SVG with HTML legends: queue depth, and intake and each
// destination's drain per minute. A rate is the change between two samples, so the rates wait
// for two of them (three samples) rather than scale one short interval up. title names a
// destination for people; dests are the destinations to draw a drain for (nil: one drain, or those
// the samples have). The SVG holds only numbers and fixed text, and the legend's names are
// escaped, so it is safe to mark as HTML.
func chart(samples []Sample, dests []string, title func(string) string) (template.HTML, string) {
	if len(samples) < 2 {
		return "", "Collecting… the charts fill in as samples are taken (every 30 seconds, for the last hour)."
	}
	n := len(samples)
	ts := make([]time.Time, n)
	depth := make([]float64, n)
	for i, s := range samples {
		ts[i], depth[i] = s.At, float64(s.Depth)
	}
	var b strings.Builder
	b.WriteString(`<div class="charts">`)
	svg(&b, "queue-depth", "Queue depth (requests waiting)", "", ts[0], ts,
		[]series{{name: "depth", color: palette[1], pts: depth, value: short(depth[n-1]) + " now"}})
	if n < 3 {
		fmt.Fprintf(&b, `<figure class="chart" id="rates-collecting"><p class="ct">Intake and drain (requests per minute)</p><p class="note">%s a rate needs two intervals between samples.</p></figure>`, collecting)
	} else {
		minutes := ts[n-1].Sub(ts[0]).Minutes()
		ss := []series{rate("intake", palette[0], samples, minutes, func(s Sample) float64 { return s.Accepted })}
		if len(dests) == 0 {
			dests = destsOf(samples)
		}
		for i, d := range dests {
			name := "drain"
			if len(dests) > 1 || d != "" {
				name = "drain to " + title(d)
			}
			ss = append(ss, rate(name, palette[1+i%(len(palette)-1)], samples, minutes,
				func(s Sample) float64 { return s.SyncedBy[d] }))
		}
		svg(&b, "rates", "Intake and drain (requests per minute)", "/min", ts[0], ts[1:], ss)
	}
	b.WriteString(`</div>`)
	return template.HTML(b.String()), ""
}

// rate is the per-minute rate of the running total of between each two samples, at the second
// one; its legend's figure is the average over the whole span (minutes).
func rate(name, color string, samples []Sample, minutes float64, of func(Sample) float64) series {
	s := series{name: name, color: color, pts: make([]float64, len(samples)-1)}
	for i := 1; i < len(samples); i++ {
		if dt := samples[i].At.Sub(samples[i-1].At).Minutes(); dt > 0 {
			s.pts[i-1] = math.Max(0, of(samples[i])-of(samples[i-1])) / dt
		}
	}
	avg := 0.0
	if minutes > 0 {
		avg = math.Max(0, of(samples[len(samples)-1])-of(samples[0])) / minutes
	}
	s.value = short(avg) + "/min on average"
	return s
}

// destsOf are the destinations the samples have drains of, sorted ("" alone with one destination).
func destsOf(samples []Sample) []string {
	seen := map[string]bool{}
	for _, s := range samples {
		for d := range s.SyncedBy {
			seen[d] = true
		}
	}
	out := make([]string, 0, len(seen))
	for d := range seen {
		out = append(out, d)
	}
	sort.Strings(out)
	if len(out) == 0 {
		out = []string{""}
	}
	return out
}

// svg draws the series, whose points are at ts, on a time axis from t0 to the last of ts.
func svg(b *strings.Builder, id, title, unit string, t0 time.Time, ts []time.Time, ss []series) {
	top := 0.0
	for _, s := range ss {
		for _, v := range s.pts {
			top = math.Max(top, v)
		}
	}
	top = niceCeil(top)
	t1 := ts[len(ts)-1]
	span := t1.Sub(t0)
	inMinutes := span >= 2*time.Minute
	x := func(t time.Time) float64 {
		return pad + (chartW-2*pad)*t.Sub(t0).Seconds()/math.Max(span.Seconds(), 1)
	}
	y := func(v float64) float64 { return chartH - pad/2 - (chartH-pad)*v/top }
	fmt.Fprintf(b, `<figure class="chart"><p class="ct">%s</p>`, template.HTMLEscapeString(title))
	fmt.Fprintf(b, `<svg id="%s" role="img" aria-label="%s over the last %s" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f">`,
		id, template.HTMLEscapeString(title), spanText(span, inMinutes), chartW, chartH, chartW, chartH)
	// Axes: the top value with its unit; the time as minutes (or seconds) before the last sample,
	// which is named by its time of day.
	fmt.Fprintf(b, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" class="ax"/>`, pad, y(0), chartW-pad, y(0))
	fmt.Fprintf(b, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" class="ax"/>`, pad, y(0), pad, y(top))
	fmt.Fprintf(b, `<text x="%.0f" y="%.1f" class="al" text-anchor="end">%s%s</text>`, pad-4, y(top)+4, short(top), unit)
	fmt.Fprintf(b, `<text x="%.0f" y="%.1f" class="al" text-anchor="end">0</text>`, pad-4, y(0)+4)
	fmt.Fprintf(b, `<text x="%.0f" y="%.1f" class="al" data-axis="start">−%s</text>`, pad, chartH-2, spanText(span, inMinutes))
	fmt.Fprintf(b, `<text x="%.0f" y="%.1f" class="al" text-anchor="middle">−%s</text>`, chartW/2, chartH-2, spanText(span/2, inMinutes))
	fmt.Fprintf(b, `<text x="%.0f" y="%.1f" class="al" text-anchor="end" data-axis="end">%s UTC</text>`, chartW-pad, chartH-2, t1.UTC().Format("15:04:05"))
	for _, s := range ss {
		var pts strings.Builder
		for j, v := range s.pts {
			fmt.Fprintf(&pts, "%.1f,%.1f ", x(ts[j]), y(v))
		}
		fmt.Fprintf(b, `<polyline class="series" data-series="%s" fill="none" stroke="%s" stroke-width="2" points="%s"/>`,
			template.HTMLEscapeString(s.name), s.color, strings.TrimSpace(pts.String()))
	}
	b.WriteString(`</svg><figcaption><ul class="legend">`)
	for _, s := range ss {
		fmt.Fprintf(b, `<li><span class="key" style="background:%s"></span>%s: %s</li>`, s.color,
			template.HTMLEscapeString(s.name), s.value)
	}
	fmt.Fprintf(b, `</ul><p class="note">Time: the last %s, to the last sample.</p></figcaption></figure>`, spanText(span, inMinutes))
}

// spanText is a span of time in minutes or in seconds (an axis spanning under two minutes).
func spanText(d time.Duration, minutes bool) string {
	if minutes {
		return fmt.Sprintf("%.0f min", d.Minutes())
	}
	return fmt.Sprintf("%.0f s", d.Seconds())
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten (at least 1), for the axis.
func niceCeil(v float64) float64 {
	if v <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func short(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.1fM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.0fk", v/1e3)
	case v >= 10 || v == math.Trunc(v):
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}
