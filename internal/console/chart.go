package console

import (
	"fmt"
	"html/template"
	"math"
	"strings"
	"time"
)

// series is one line of a chart.
type series struct {
	name, color string
	pts         []float64
}

const chartW, chartH, pad = 560.0, 150.0, 36.0

// chart renders the samples as inline SVG: queue depth, and intake and drain per minute. The SVG
// holds only numbers and fixed text, so it is safe to mark as HTML.
func chart(samples []Sample) (template.HTML, string) {
	if len(samples) < 2 {
		return "", "The chart fills in as samples are taken (every 30 seconds, the last hour)."
	}
	ts := make([]time.Time, len(samples))
	depth := make([]float64, len(samples))
	intake := make([]float64, len(samples))
	drain := make([]float64, len(samples))
	for i, s := range samples {
		ts[i], depth[i] = s.At, float64(s.Depth)
		if i == 0 {
			continue
		}
		dt := s.At.Sub(samples[i-1].At).Minutes()
		if dt <= 0 {
			continue
		}
		intake[i] = math.Max(0, s.Accepted-samples[i-1].Accepted) / dt
		drain[i] = math.Max(0, s.Synced-samples[i-1].Synced) / dt
	}
	intake[0], drain[0] = intake[1], drain[1]
	var b strings.Builder
	b.WriteString(`<div class="charts">`)
	svg(&b, "queue-depth", "Queue depth", ts, []series{{"depth", "#2f6fde", depth}})
	svg(&b, "rates", "Per minute: intake and drain", ts, []series{{"intake", "#1b9e4b", intake}, {"drain", "#d9822b", drain}})
	b.WriteString(`</div>`)
	return template.HTML(b.String()), ""
}

func svg(b *strings.Builder, id, title string, ts []time.Time, ss []series) {
	top := 0.0
	for _, s := range ss {
		for _, v := range s.pts {
			top = math.Max(top, v)
		}
	}
	top = niceCeil(top)
	t0, t1 := ts[0], ts[len(ts)-1]
	span := t1.Sub(t0).Seconds()
	x := func(t time.Time) float64 { return pad + (chartW-2*pad)*t.Sub(t0).Seconds()/math.Max(span, 1) }
	y := func(v float64) float64 { return chartH - pad/2 - (chartH-pad)*v/top }
	fmt.Fprintf(b, `<svg id="%s" role="img" aria-label="%s" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f">`,
		id, title, chartW, chartH, chartW, chartH)
	fmt.Fprintf(b, `<title>%s</title>`, title)
	fmt.Fprintf(b, `<text x="%.0f" y="12" class="ct">%s</text>`, pad, title)
	// Axes with the top value and the time span.
	fmt.Fprintf(b, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" class="ax"/>`, pad, y(0), chartW-pad, y(0))
	fmt.Fprintf(b, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" class="ax"/>`, pad, y(0), pad, y(top))
	fmt.Fprintf(b, `<text x="%.0f" y="%.1f" class="al" text-anchor="end">%s</text>`, pad-4, y(top)+4, short(top))
	fmt.Fprintf(b, `<text x="%.0f" y="%.1f" class="al" text-anchor="end">0</text>`, pad-4, y(0)+4)
	fmt.Fprintf(b, `<text x="%.0f" y="%.1f" class="al">%s</text>`, pad, chartH-2, t0.UTC().Format("15:04"))
	fmt.Fprintf(b, `<text x="%.0f" y="%.1f" class="al" text-anchor="end">%s UTC</text>`, chartW-pad, chartH-2, t1.UTC().Format("15:04"))
	for i, s := range ss {
		var pts strings.Builder
		for j, v := range s.pts {
			fmt.Fprintf(&pts, "%.1f,%.1f ", x(ts[j]), y(v))
		}
		fmt.Fprintf(b, `<polyline class="series" data-series="%s" fill="none" stroke="%s" stroke-width="2" points="%s"/>`,
			s.name, s.color, strings.TrimSpace(pts.String()))
		fmt.Fprintf(b, `<text x="%.0f" y="12" fill="%s" class="al" text-anchor="end">%s %s</text>`,
			chartW-pad-float64(len(ss)-1-i)*90, s.color, s.name, short(s.pts[len(s.pts)-1]))
	}
	b.WriteString(`</svg>`)
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
	case v >= 10 || v == 0:
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}
