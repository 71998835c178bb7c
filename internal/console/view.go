package console

import (
	"context"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/ops"
	"github.com/dncsync/dncsync/internal/queue"
)

// view is everything the page shows.
type view struct {
	Now        time.Time
	Error      string
	Status     ops.Status
	Clock      *clock
	Chart      template.HTML
	ChartNote  string
	Pushes     []Exchange
	Dead       []queue.DeadLetter
	DeadMore   bool
	Query      string
	Lookup     *ops.Answer
	LookupNote string
}

// clock is the compliance clock of the oldest unsynced request.
type clock struct {
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
	if st.OldestUnsyncedAt != nil {
		c := &clock{Received: *st.OldestUnsyncedAt, BusinessDays: st.OldestUnsyncedBusinessDays,
			Deadline: queue.DeadlineBusinessDays, Due: DueBy(*st.OldestUnsyncedAt),
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
	}
	if h.Sampler != nil {
		v.Chart, v.ChartNote = chart(h.Sampler.Samples())
	}
	if h.Recorder != nil {
		v.Pushes = h.Recorder.Recent()
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
			if hist.Older != "" {
				v.LookupNote = fmt.Sprintf("The newest %d records; dncsync lookup shows them all.", lookupShown)
			}
		}
	}
	escape(&v)
	return v
}

// DueBy is when the 10 business days allowed for a request received at from run out: the end of
// the tenth business day after it (UTC).
func DueBy(from time.Time) time.Time {
	d := time.Date(from.UTC().Year(), from.UTC().Month(), from.UTC().Day(), 0, 0, 0, 0, time.UTC)
	for n := 0; n < queue.DeadlineBusinessDays; {
		d = d.AddDate(0, 0, 1)
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n++
		}
	}
	return d.Add(24*time.Hour - time.Second)
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
