package console

import (
	"context"
	"fmt"
	"html/template"
	"sort"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/ops"
	"github.com/dncsync/dncsync/internal/queue"
)

// view is everything the page shows.
type view struct {
	Now    time.Time
	Error  string
	Status ops.Status
	// Dests is each destination's status, in the configured order, the primary first: one with a
	// single destination.
	Dests      []dest
	Primary    string // the primary destination's title
	Clock      *clock
	Chart      template.HTML
	ChartNote  string
	Pushes     []Exchange
	Dead       []queue.DeadLetter
	DeadMore   bool
	Query      string
	Lookup     *ops.Answer
	LookupNote string
	// LookupDests is the number's standing at each destination, with several.
	LookupDests []lookupDest
}

// lookupDest is a number's standing at one destination.
type lookupDest struct {
	Name, Title string
	queue.DestState
}

// dest is one destination as the page shows it.
type dest struct {
	Name, Title string
	Status      ops.Status
	// P99 is the 99th percentile of the time from receipt to this destination's confirmation, as
	// this process measured it since it started; "—" without data.
	P99 string
}

// clock is the compliance clock of the oldest unsynced request.
type clock struct {
	Dest         string // the title of the destination it waits for
	Received     time.Time
	Age          string
	BusinessDays int
	Deadline     int
	Due          time.Time // the end of the last business day allowed
	Level        string    // ok, warn (past half the allowance), late
}

const (
	deadShown   = 20
	lookupShown = 50 // records of a number's trail on the page
)

func (h *Handler) view(ctx context.Context, query string) view {
	now := h.now()
	v := view{Now: now, Query: query}
	var st ops.Status
	var err error
	if len(h.Lanes) > 1 {
		// The tiles and the clock sum up every destination; the table shows each one's.
		st, err = ops.ReadStatusAll(ctx, h.Lanes, now)
	} else {
		st, err = ops.ReadStatus(ctx, h.Store, h.Pacing, now)
	}
	if err != nil {
		v.Error = "The store cannot be read right now; this page shows what it can."
	}
	v.Status = st
	v.Primary = h.title(h.Primary)
	v.Dests = h.dests(st)
	if st.OldestUnsyncedAt != nil {
		c := &clock{Dest: v.Primary, Received: *st.OldestUnsyncedAt, BusinessDays: st.OldestUnsyncedBusinessDays,
			Deadline: queue.DeadlineBusinessDays, Due: queue.DueBy(*st.OldestUnsyncedAt),
			Age: roundAge(now.Sub(*st.OldestUnsyncedAt))}
		switch {
		case c.BusinessDays >= c.Deadline:
			c.Level = "late"
		case c.BusinessDays*2 >= c.Deadline:
			c.Level = "warn"
		default:
			c.Level = "ok"
		}
		v.Clock = c
		for _, d := range v.Dests {
			// The destination it waits for: the first whose oldest request is the oldest of all.
			if o := d.Status.OldestUnsyncedAt; o != nil && o.Equal(*st.OldestUnsyncedAt) {
				c.Dest = d.Title
				break
			}
		}
	}
	if h.Sampler != nil {
		var names []string // with several destinations, a drain for each, whether it drained or not
		if len(v.Dests) > 1 {
			for _, d := range v.Dests {
				names = append(names, d.Name)
			}
		}
		v.Chart, v.ChartNote = chart(h.Sampler.Samples(), names, h.title)
	}
	if h.Recorder != nil {
		v.Pushes = h.Recorder.Recent()
		for i := range v.Pushes {
			name := v.Pushes[i].Destination
			if name == "" {
				name = h.Primary
			}
			v.Pushes[i].Destination = h.title(name)
		}
	}
	if dl, err := h.Store.DeadLetters(ctx, deadShown+1); err == nil {
		v.DeadMore = len(dl) > deadShown
		v.Dead = dl[:min(len(dl), deadShown)]
	}
	if q := strings.TrimSpace(query); q != "" {
		key, _ := ops.Key(q, "", h.DefaultRegion) // the configured region is valid (checked at start)
		hist, found, err := h.Store.Lookup(ctx, key, queue.Page{Limit: lookupShown})
		switch {
		case err != nil:
			v.LookupNote = "The store cannot be read right now."
		case !found:
			v.LookupNote = "Never seen."
		default:
			a := ops.NewAnswer(q, hist)
			v.Lookup = &a
			v.LookupDests = h.lookupDests(a.Destinations)
			for i := range a.History {
				if d := a.History[i].Destination; d != "" {
					a.History[i].Destination = h.title(d)
				}
			}
			if hist.Older != "" {
				v.LookupNote = fmt.Sprintf("The newest %d records; dncsync lookup shows them all.", lookupShown)
			}
		}
	}
	escape(&v)
	return v
}

// title is destination name's name for people.
func (h *Handler) title(name string) string {
	if t := h.Titles[name]; t != "" {
		return t
	}
	if name == "" {
		return "the destination"
	}
	return name
}

// dests is each destination's status in the order of the lanes (st.Destinations with several, st
// itself with one), with its confirmation p99.
func (h *Handler) dests(st ops.Status) []dest {
	var p99 map[string]float64
	if h.Sampler != nil {
		p99 = quantiles(h.Sampler.Gatherer, ConfirmationHistogram, "destination", 0.99)
	}
	show := func(name string, s ops.Status, labels ...string) dest {
		d := dest{Name: name, Title: h.title(name), Status: s, P99: "—"}
		for _, l := range labels {
			if v, ok := p99[l]; ok {
				d.P99 = seconds(v)
				break
			}
		}
		return d
	}
	if len(st.Destinations) == 0 {
		// One destination: its metrics carry no destination label (or, if they do, its name).
		return []dest{show(h.Primary, st, "", h.Primary)}
	}
	out := make([]dest, 0, len(st.Destinations))
	for _, l := range h.Lanes {
		if s, ok := st.Destinations[l.Name]; ok {
			out = append(out, show(l.Name, s, l.Name))
		}
	}
	return out
}

// lookupDests is a number's standing at each destination, in the lanes' order (any the lanes do
// not name after them, by name).
func (h *Handler) lookupDests(states map[string]queue.DestState) []lookupDest {
	if len(states) == 0 {
		return nil
	}
	var out []lookupDest
	seen := map[string]bool{}
	for _, l := range h.Lanes {
		if st, ok := states[l.Name]; ok {
			out = append(out, lookupDest{Name: l.Name, Title: h.title(l.Name), DestState: st})
			seen[l.Name] = true
		}
	}
	var rest []string
	for name := range states {
		if !seen[name] {
			rest = append(rest, name)
		}
	}
	sort.Strings(rest)
	for _, name := range rest {
		out = append(out, lookupDest{Name: name, Title: h.title(name), DestState: states[name]})
	}
	return out
}

// seconds shows a duration given in seconds with a unit that suits it.
func seconds(v float64) string {
	switch {
	case v < 1:
		return fmt.Sprintf("%.0f ms", v*1000)
	case v < 120:
		return fmt.Sprintf("%.1f s", v)
	case v < 2*3600:
		return fmt.Sprintf("%.1f min", v/60)
	case v < 2*86400:
		return fmt.Sprintf("%.1f h", v/3600)
	}
	return fmt.Sprintf("%.1f days", v/86400)
}

func roundAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < 48*time.Hour:
		return d.Round(time.Minute).String()
	}
	return fmt.Sprintf("%.1f days", d.Hours()/24)
}
