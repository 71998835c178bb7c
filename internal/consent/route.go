package consent

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/dncsync/dncsync/internal/queue"
)

// A destination's scope filter says what its list is for: a Genesys list that an SMS campaign
// reads (sms), a CXone group for calls (voice), one brand's platform (all//acme). A destination
// receives the numbers whose effective scope covers it, and a consent only where it restores the
// whole of the destination's scope. Routing is decided per event before the store writes it
// (queue.Event.Lanes): each destination's queue then merges only what reached it.

// ParseFilter reads a destination's scope filter as it is set: a channel (voice, sms, email or
// all; empty: all), optionally followed by /purpose and /brand, as Scope.String writes it:
// "sms", "voice/marketing", "all/marketing/acme", "email//acme".
func ParseFilter(s string) (Scope, error) {
	parts := strings.Split(strings.TrimSpace(s), "/")
	if len(parts) > 3 {
		return Scope{}, fmt.Errorf("scope %q: want a channel, then optionally /purpose and /brand", truncate(s, 64))
	}
	parts = append(parts, "", "")
	return ParseScope(parts[0], parts[1], parts[2])
}

// Reaches reports whether opt-out ev reaches a destination of scope d: it blocks some contact the
// destination makes, by its own scope or, under the revoke-all policy it was received under, as a
// call or a text. An sms opt-out reaches an sms destination and an all one, not a voice one.
func Reaches(ev Event, d Scope) bool {
	d = d.norm()
	for _, c := range Channels {
		if d.Channel.covers(c) {
			if reach, _ := reaches(&ev, Scope{Channel: c, Purpose: d.Purpose, Brand: d.Brand}); reach {
				return true
			}
		}
	}
	return false
}

// Restores reports whether consent ev may take the number off a destination of scope d, given the
// number's other requests: its scope is about some contact d makes (a START for texts never goes
// to a list for calls), and with it nothing stands against any contact d makes at the moment it
// occurred (Decide), so it never lifts an opt-out of a scope it does not cover, nor one received
// under revoke-all unless it is a consent to everything. A list of every channel keeps a number
// that a START restored to texts while an opt-out from calls stands.
func Restores(others []Event, ev Event, d Scope) bool {
	if ev.Action != queue.Remove || !overlaps(ev.Scope, d) {
		return false
	}
	all := append(others[:len(others):len(others)], ev)
	return Decide(all, Query{Scope: d, At: ev.OccurredAt}).Eligible
}

// overlaps reports whether scopes s and d share a contact: a channel, and purposes and brands
// that meet.
func overlaps(s, d Scope) bool {
	d = d.norm()
	for _, c := range Channels {
		if d.Channel.covers(c) && s.Meets(Scope{Channel: c, Purpose: d.Purpose, Brand: d.Brand}) {
			return true
		}
	}
	return false
}

// Lane is a destination as routing sees it: its name and its scope filter.
type Lane struct {
	Name  string
	Scope Scope
}

// Trail reads the requests recorded for a number (FromRecord of its audit records).
type Trail func(ctx context.Context, number string) ([]Event, error)

// Route sets the Lanes of each event from the destinations' filters: an opt-out goes to every lane
// it reaches (Reaches); a consent to everything goes to every lane, since it lifts whatever came
// before it and a lane's merge keeps a later opt-out; a narrower consent goes to the lanes it
// restores (Restores), read against the number's trail and the batch's earlier events. An event
// that reaches every lane keeps Lanes nil, so with every lane of scope all (the default) only a
// narrower consent is routed. An event already routed (Lanes set) is left as it is; one meant for
// one destination (Only: reconcile's) is an opt-out that destination must still hold, or nothing.
//
// The trail is read before the store's write, so a request for the same number written in between
// is not seen. It can only be an opt-out that occurred before the consent yet arrived with it; the
// lane's merge then keeps whichever occurred last, as it did before scopes existed.
func Route(ctx context.Context, lanes []Lane, events []queue.Event, trail Trail) error {
	narrow := filtered(lanes)
	// Only a consent or reconcile's event reads the number's requests.
	reads := slices.ContainsFunc(events, func(ev queue.Event) bool { return ev.Action == queue.Remove || ev.Only != "" })
	if !narrow && !reads {
		return nil // every lane takes every opt-out: nothing to decide (the default)
	}
	// Of each number: its recorded requests, read when a consent needs them, and the batch's
	// earlier ones, which a later event of the batch reads too.
	recorded, earlier := map[string][]Event{}, map[string][]Event{}
	trailOf := func(number string) ([]Event, error) {
		rec, ok := recorded[number]
		if !ok {
			var err error
			if rec, err = trail(ctx, number); err != nil {
				return nil, fmt.Errorf("routing by scope: %w", err)
			}
			recorded[number] = rec
		}
		return append(rec[:len(rec):len(rec)], earlier[number]...), nil
	}
	for i := range events {
		ev := &events[i]
		ce, _ := FromRecord(queue.Received(*ev, ev.ReceivedAt))
		switch {
		case ev.Lanes != nil:
		case ev.Only != "":
			// Reconcile's: it made the event up from another destination's confirmation, so its
			// own scope says nothing. An opt-out goes to the one destination only while the
			// number's requests still block some contact that destination makes.
			if ev.Action != queue.Add || !narrow {
				break
			}
			l := slices.IndexFunc(lanes, func(l Lane) bool { return l.Name == ev.Only })
			if l < 0 {
				break // the store refuses it
			}
			others, err := trailOf(ev.Number)
			if err != nil {
				return err
			}
			if Decide(others, Query{Scope: lanes[l].Scope, At: ev.ReceivedAt}).Eligible {
				ev.Lanes = []string{}
			}
		case ev.Action == queue.Add:
			if narrow {
				ev.Lanes = every(pick(lanes, func(d Scope) bool { return Reaches(ce, d) }), lanes)
			}
		case ce.Scope.Includes(Everything):
		default:
			others, err := trailOf(ev.Number)
			if err != nil {
				return err
			}
			ev.Lanes = every(pick(lanes, func(d Scope) bool { return Restores(others, ce, d) }), lanes)
		}
		if reads {
			earlier[ev.Number] = append(earlier[ev.Number], ce)
		}
	}
	return nil
}

// filtered reports whether some lane's filter is narrower than everything.
func filtered(lanes []Lane) bool {
	return slices.ContainsFunc(lanes, func(l Lane) bool { return !l.Scope.Includes(Everything) })
}

// pick names the lanes whose scope ok accepts; never nil, so that none means none.
func pick(lanes []Lane, ok func(Scope) bool) []string {
	out := []string{}
	for _, l := range lanes {
		if ok(l.Scope) {
			out = append(out, l.Name)
		}
	}
	return out
}

// every is nil when names are all the lanes (the store's every destination), else names.
func every(names []string, lanes []Lane) []string {
	if len(names) == len(lanes) {
		return nil
	}
	return names
}
