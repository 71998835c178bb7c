package queue

import (
	"fmt"
	"time"
)

// Validate checks what every store relies on before it writes anything.
func (ev Event) Validate() error {
	switch {
	case ev.Number == "" || ev.Number[0] != '+':
		return fmt.Errorf("event number %q is not E.164", ev.Number)
	case !ev.Action.Valid():
		return fmt.Errorf("event action %q is not add or remove", ev.Action)
	case ev.ReceivedAt.IsZero() || ev.OccurredAt.IsZero():
		return fmt.Errorf("event times are not set")
	case ev.Repeats < 0:
		return fmt.Errorf("event repeats %d is negative", ev.Repeats)
	}
	return nil
}

// NewItem is the entry a first event creates.
func NewItem(ev Event) Item {
	return Item{
		Number:          ev.Number,
		Action:          ev.Action,
		Raw:             ev.Raw,
		Source:          ev.Source,
		Channel:         ev.Channel,
		Reason:          ev.Reason,
		Scope:           ev.Scope,
		ConsentChannel:  ev.ConsentChannel,
		Purpose:         ev.Purpose,
		Policy:          ev.Policy,
		OccurredAt:      ev.OccurredAt,
		FirstReceivedAt: ev.ReceivedAt,
		LastReceivedAt:  ev.ReceivedAt,
		ExpiresAt:       ev.ExpiresAt,
		Events:          1,
		Version:         1,
	}
}

// Wins reports whether an event that occurred at occ with action a decides a number's action over
// the current one: the latest request wins and, on a tie, add wins (when unsure, do not call).
func Wins(occ time.Time, a Action, curOcc time.Time, cur Action) bool {
	if occ.Equal(curOcc) {
		return a == Add && cur != Add
	}
	return occ.After(curOcc)
}

// Merge folds ev into it. Stores without scripting use it; the Redis store's Lua does the same.
func Merge(it *Item, ev Event) {
	it.Events++
	if ev.ReceivedAt.After(it.LastReceivedAt) {
		it.LastReceivedAt = ev.ReceivedAt
	}
	if !Wins(ev.OccurredAt, ev.Action, it.OccurredAt, it.Action) {
		return
	}
	if ev.Action != it.Action || !ev.ExpiresAt.Equal(it.ExpiresAt) {
		it.Version++
	}
	it.Action, it.OccurredAt, it.ExpiresAt = ev.Action, ev.OccurredAt, ev.ExpiresAt
	it.Raw, it.Source, it.Channel, it.Reason, it.Scope = ev.Raw, ev.Source, ev.Channel, ev.Reason, ev.Scope
	it.ConsentChannel, it.Purpose, it.Policy = ev.ConsentChannel, ev.Purpose, ev.Policy
}

// Received is the audit record of an accepted event (AuditReceived), written at at, with every
// field of it, its consent scope and policy included; a store makes it AuditStale when no
// destination queued the event.
func Received(ev Event, at time.Time) AuditRecord {
	return AuditRecord{Kind: AuditReceived, Number: ev.Number, At: at, Raw: ev.Raw, Action: ev.Action,
		Source: ev.Source, Channel: ev.Channel, Reason: ev.Reason, Scope: ev.Scope, EventID: ev.ID,
		OccurredAt: ev.OccurredAt, ReceivedAt: ev.ReceivedAt, ExpiresAt: ev.ExpiresAt, Repeats: ev.Repeats,
		ConsentChannel: ev.ConsentChannel, Purpose: ev.Purpose, Policy: ev.Policy}
}

// Confirmed is the record of a destination's confirmation of it (AuditConfirmed): what was pushed,
// and the scope and policy of the request that decided it, so that a destination's evidence says
// which scope put each number there (or took it off). Stores add the destination and the time.
func Confirmed(it Item) AuditRecord {
	return AuditRecord{Kind: AuditConfirmed, Number: it.Number, Action: it.Action, OccurredAt: it.OccurredAt,
		ExpiresAt: it.ExpiresAt, Scope: it.Scope, ConsentChannel: it.ConsentChannel, Purpose: it.Purpose, Policy: it.Policy}
}
