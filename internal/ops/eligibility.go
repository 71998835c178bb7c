package ops

import (
	"context"
	"errors"
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
	e, err := o.eligible(ctx, number, q.Country, sc, at)
	if err == nil && e.Reason == ReasonInvalidNumber {
		return e, inputError("%q is not a valid phone number", truncate(number, 64))
	}
	return e, err
}

// EligibleAll answers q for each of numbers (1 to MaxEligibility), in order. A number that is not
// valid is answered not eligible (ReasonInvalidNumber) rather than failing the others.
func (o *Ops) EligibleAll(ctx context.Context, numbers []string, q EligibilityQuery) ([]Eligibility, error) {
	if len(numbers) == 0 || len(numbers) > MaxEligibility {
		return nil, inputError("numbers: give 1 to %d numbers", MaxEligibility)
	}
	sc, at, err := o.scopeOf(q)
	if err != nil {
		return nil, err
	}
	out := make([]Eligibility, len(numbers))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  = make(chan int)
	)
	// A few lookups at once: each is a store read, and a batch is a dialer waiting.
	for range min(8, len(numbers)) {
		wg.Go(func() {
			for i := range next {
				e, err := o.eligible(ctx, numbers[i], q.Country, sc, at)
				if err != nil {
					mu.Lock()
					first = cmpErr(first, err)
					mu.Unlock()
					cancel()
					continue
				}
				out[i] = e
			}
		})
	}
feed:
	for i := range numbers {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first != nil {
		return nil, first
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func cmpErr(first, err error) error {
	if first == nil {
		return err
	}
	return first
}

// eligible decides for one number; an invalid number is answered (ReasonInvalidNumber), not an
// error.
func (o *Ops) eligible(ctx context.Context, query, country string, sc consent.Scope, at time.Time) (Eligibility, error) {
	e := Eligibility{Query: query, Scope: sc, At: at, Destinations: []Confirmation{}}
	region := country
	if region == "" {
		region = o.DefaultRegion
	}
	n, err := phone.Parse(query, region)
	if err != nil {
		e.Reason, e.Error = ReasonInvalidNumber, "not a valid phone number for region "+region
		return e, nil
	}
	e.Number = n.E164
	events, state, found, err := o.requests(ctx, n.E164)
	if err != nil {
		return Eligibility{}, fmt.Errorf("eligibility of %s: %w", phone.Mask(n.E164), err)
	}
	e.Decision = consent.Decide(events, consent.Query{Scope: sc, At: at})
	if found && e.Event != nil {
		e.Destinations = o.confirmations(state, e.Event)
	}
	return e, nil
}

// requests reads every request in a number's trail (all its pages: an old opt-out must not fall
// off a page) and its state.
func (o *Ops) requests(ctx context.Context, number string) ([]consent.Event, queue.NumberState, bool, error) {
	var events []consent.Event
	page := queue.Page{Limit: queue.MaxPageLimit}
	for {
		h, found, err := o.Store.Lookup(ctx, number, page)
		if err != nil || !found {
			return nil, queue.NumberState{}, false, err
		}
		for _, r := range h.Records {
			if ev, ok := consent.FromRecord(r); ok {
				events = append(events, ev)
			}
		}
		if h.Older == "" {
			return events, h.State, true, nil
		}
		if page.Before == h.Older {
			return nil, queue.NumberState{}, false, errors.New("the trail's cursor does not move")
		}
		page.Before = h.Older
	}
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
