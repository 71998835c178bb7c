package ops

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/dncsync/dncsync/internal/consent"
	"github.com/dncsync/dncsync/internal/phone"
	"github.com/dncsync/dncsync/internal/queue"
)

// MaxEligibility is the most numbers one eligibility check takes (a dialer's pre-call batch).
const MaxEligibility = 10000

// EligibilityQuery is what a caller asks of every number it names: may they be contacted on
// Channel (empty: every channel), for Purpose, by Brand (empty: not said), at At (zero: now).
// Country is the region of numbers written without + (empty: the default region).
type EligibilityQuery struct {
	Channel string    `json:"channel,omitempty"`
	Purpose string    `json:"purpose,omitempty"`
	Brand   string    `json:"brand,omitempty"`
	Country string    `json:"country,omitempty"`
	At      time.Time `json:"at,omitzero"`
}

// Confirmation is one destination's standing for a number: whether it confirmed the event that
// decided (Confirms), and what it last confirmed.
type Confirmation struct {
	Destination string `json:"destination"`
	queue.DestState
	// Confirms: the destination's last confirmed push carried the deciding event's action, from an
	// event at or after it.
	Confirms bool `json:"confirms"`
}

// Eligibility is one number's answer: the JSON of GET /v1/eligibility and of each result of POST.
type Eligibility struct {
	Query  string `json:"query"`            // the number as asked
	Number string `json:"number,omitempty"` // E.164; empty when the query is not a valid number
	consent.Decision
	Scope        consent.Scope  `json:"scope"` // what was asked, as read
	At           time.Time      `json:"at"`
	Destinations []Confirmation `json:"destinations"`
	Error        string         `json:"error,omitempty"`
}

// ReasonInvalidNumber answers a query that is not a valid phone number: not eligible, since
// whatever it is cannot be checked.
const ReasonInvalidNumber = "invalid_number"

// scopeOf reads q's scope and time.
func (o *Ops) scopeOf(q EligibilityQuery) (consent.Scope, time.Time, error) {
	sc, err := consent.ParseScope(q.Channel, q.Purpose, q.Brand)
	if err != nil {
		return sc, time.Time{}, inputError("%v", err)
	}
	if q.Country != "" && !phone.ValidRegion(q.Country) {
		return sc, time.Time{}, ErrBadRegion
	}
	at := q.At
	if at.IsZero() {
		at = o.now()
	}
	return sc, at.UTC(), nil
}

// Eligible answers whether one number may be contacted as q asks, with the request that decided
// and which destinations confirmed it. A query that is not a valid number is an InputError.
func (o *Ops) Eligible(ctx context.Context, number string, q EligibilityQuery) (Eligibility, error) {
	sc, at, err := o.scopeOf(q)
	if err != nil {
		return Eligibility{}, err
	}
	es, err := o.decideAll(ctx, []string{number}, q.Country, sc, at)
	if err != nil {
		return Eligibility{}, err
	}
	if es[0].Reason == ReasonInvalidNumber {
		return es[0], inputError("%q is not a valid phone number", truncate(number, 64))
	}
	return es[0], nil
}

// EligibleAll answers q for each of numbers (1 to MaxEligibility), in order. A number that is not
// valid is answered not eligible (ReasonInvalidNumber) rather than failing the others. The store is
// read once for the whole batch when it can (historiesReader).
func (o *Ops) EligibleAll(ctx context.Context, numbers []string, q EligibilityQuery) ([]Eligibility, error) {
	if len(numbers) == 0 || len(numbers) > MaxEligibility {
		return nil, inputError("numbers: give 1 to %d numbers", MaxEligibility)
	}
	sc, at, err := o.scopeOf(q)
	if err != nil {
		return nil, err
	}
	return o.decideAll(ctx, numbers, q.Country, sc, at)
}

// A batch is read and decided in up to batchParts parts at once: their reads overlap (a round
// trip to Redis or PostgreSQL; a bbolt read transaction on another core). A part is never smaller
// than minPart numbers, below which one read costs less than another goroutine and round trip.
const (
	batchParts = 4
	minPart    = 1000
)

// decideAll answers each of queries, reading the trails of the valid ones a part of the batch at a
// time; an invalid number is answered (ReasonInvalidNumber), not an error.
func (o *Ops) decideAll(ctx context.Context, queries []string, country string, sc consent.Scope, at time.Time) ([]Eligibility, error) {
	region := country
	if region == "" {
		region = o.DefaultRegion
	}
	out := make([]Eligibility, len(queries))
	parts := max(1, min(batchParts, len(queries)/minPart))
	size := (len(queries) + parts - 1) / parts
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := p*size, min(len(queries), (p+1)*size)
		wg.Go(func() { errs[p] = o.decidePart(ctx, queries[lo:hi], out[lo:hi], region, sc, at) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// decidePart answers queries into out (as long), with one read of the store.
func (o *Ops) decidePart(ctx context.Context, queries []string, out []Eligibility, region string, sc consent.Scope, at time.Time) error {
	valid := make([]string, 0, len(queries))
	seen := make(map[string]bool, len(queries))
	for i, query := range queries {
		e := Eligibility{Query: query, Scope: sc, At: at, Destinations: []Confirmation{}}
		n, err := phone.Parse(query, region)
		if err != nil {
			e.Reason, e.Error = ReasonInvalidNumber, "not a valid phone number for region "+region
		} else {
			e.Number = n.E164
			if !seen[n.E164] {
				seen[n.E164] = true
				valid = append(valid, n.E164)
			}
		}
		out[i] = e
	}
	hs, err := o.histories(ctx, valid)
	if err != nil {
		if len(valid) == 1 {
			return fmt.Errorf("eligibility of %s: %w", phone.Mask(valid[0]), err)
		}
		return fmt.Errorf("eligibility of %d numbers: %w", len(valid), err)
	}
	// One buffer of events for every number: Decide returns a copy of the event that decided.
	var events []consent.Event
	for i := range out {
		e := &out[i]
		if e.Number == "" {
			continue
		}
		h, found := hs[e.Number]
		events = events[:0]
		for _, r := range h.Records {
			if ev, ok := consent.FromRecord(r); ok {
				events = append(events, ev)
			}
		}
		e.Decision = consent.Decide(events, consent.Query{Scope: sc, At: at})
		if found && e.Event != nil {
			e.Destinations = o.confirmations(h.State, e.Event)
		}
	}
	return nil
}

// confirmations is each destination's standing for the number, and whether it confirmed ev.
func (o *Ops) confirmations(st queue.NumberState, ev *consent.Event) []Confirmation {
	confirms := func(d queue.DestState) bool {
		return d.ConfirmedAction == ev.Action && !d.ConfirmedAt.IsZero() && !d.ConfirmedOccur.Before(ev.OccurredAt)
	}
	out := []Confirmation{}
	if len(st.Destinations) == 0 {
		// One destination: the state's own fields are its.
		d := queue.DestState{State: st.State, ConfirmedAction: st.ConfirmedAction, ConfirmedOccur: st.ConfirmedOccur,
			ConfirmedAt: st.ConfirmedAt, ConfirmedExpires: st.ConfirmedExpires, LastError: st.LastError}
		name := queue.DefaultDestination
		if len(o.Lanes) > 0 {
			name = o.Lanes[0].Name
		}
		return append(out, Confirmation{Destination: name, DestState: d, Confirms: confirms(d)})
	}
	names := slices.Sorted(maps.Keys(st.Destinations))
	if len(o.Lanes) > 0 {
		names = names[:0]
		for _, l := range o.Lanes {
			names = append(names, l.Name)
		}
	}
	for _, n := range names {
		if d, ok := st.Destinations[n]; ok {
			out = append(out, Confirmation{Destination: n, DestState: d, Confirms: confirms(d)})
		}
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
