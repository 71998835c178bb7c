package queuetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// An event's fields reach the entry and the audit record by name: a field of Event is carried by
// the Item's field of the same name and by the AuditRecord's, but for those named here. A new
// Event field that is in neither (nor here) fails testEveryFieldSurvives, which is the point: the
// stores carry it only if queue.NewItem, queue.Merge and queue.Received copy it.
var (
	// notOnItem: fields of an Event that the entry does not keep.
	notOnItem = map[string]bool{"ID": true, "ReceivedAt": true, "Resync": true, "Only": true, "Lanes": true, "Repeats": true}
	// notInRecord: fields of an Event that its audit record does not keep (ID is its EventID).
	notInRecord = map[string]bool{"ID": true, "Resync": true, "Only": true, "Lanes": true}
)

// fullEvent is an event with every field set: the ones the stores check to values they accept,
// every other one (a field added to Event included) to a value of its own, by reflection.
func fullEvent(t *testing.T, b *testBundle, number string) queue.Event {
	t.Helper()
	ev := queue.Event{ID: "every-field", Number: number, Action: queue.Add, OccurredAt: b.base.Add(-time.Minute),
		ReceivedAt: b.base}
	rv := reflect.ValueOf(&ev).Elem()
	for i := range rv.NumField() {
		f, name := rv.Field(i), rv.Type().Field(i).Name
		// Only and Lanes stay empty: the suite also runs a store as a secondary destination, and
		// the event must reach it. They are kept nowhere (notOnItem, notInRecord).
		if !f.IsZero() || name == "Only" || name == "Lanes" {
			continue
		}
		switch {
		case f.Type() == reflect.TypeFor[time.Time]():
			f.Set(reflect.ValueOf(b.base.Add(time.Duration(i+1) * 24 * time.Hour)))
		case f.Kind() == reflect.String:
			f.SetString(name + " \"value\" ✓\n\x00")
		case f.Kind() == reflect.Bool:
			f.SetBool(true)
		case f.Kind() >= reflect.Int && f.Kind() <= reflect.Int64:
			f.SetInt(int64(10 + i))
		default:
			t.Fatalf("queuetest: fullEvent cannot set Event.%s of type %s", name, f.Type())
		}
	}
	return ev
}

// sameFields compares the fields of want (an Event) with those of the same name in got; times at
// the millisecond the stores keep.
func sameFields(t *testing.T, what string, want queue.Event, got any, skip map[string]bool, rename map[string]string) {
	t.Helper()
	wv, gv := reflect.ValueOf(want), reflect.ValueOf(got)
	for i := range wv.NumField() {
		name := wv.Type().Field(i).Name
		if skip[name] {
			continue
		}
		gname := name
		if r, ok := rename[name]; ok {
			gname = r
		}
		g := gv.FieldByName(gname)
		if !g.IsValid() {
			t.Errorf("%s has no field %s: an event's %s is lost (keep it, or add it to notOnItem/notInRecord)",
				what, gname, name)
			continue
		}
		w := wv.Field(i).Interface()
		if wt, ok := w.(time.Time); ok {
			if gt, ok := g.Interface().(time.Time); !ok || gt.UnixMilli() != wt.UnixMilli() {
				t.Errorf("%s.%s = %v, want %v", what, gname, g.Interface(), w)
			}
			continue
		}
		if !reflect.DeepEqual(g.Interface(), w) {
			t.Errorf("%s.%s = %#v, want %#v", what, gname, g.Interface(), w)
		}
	}
}

// testEveryFieldSurvives: every field of an event comes back, from the entry (Claim, also after a
// reopen) and from its audit record (Lookup and Export), and a repeat that wins replaces them all.
func testEveryFieldSurvives(t *testing.T, b *testBundle) {
	ev := fullEvent(t, b, "+14155550199")
	if st := b.enqueue(t, ev); st[0] != queue.Created {
		t.Fatalf("enqueue: %s, want created", st[0])
	}
	if _, ok := b.q.(queue.Evidence); !ok {
		t.Fatalf("%T does not implement queue.Evidence", b.q)
	}
	check := func(t *testing.T, q queue.Queue, want queue.Event, events int) {
		t.Helper()
		h, found, err := q.(queue.Evidence).Lookup(b.ctx, want.Number, queue.Page{})
		if err != nil || !found {
			t.Fatalf("Lookup: %v found %v", err, found)
		}
		var rec queue.AuditRecord
		for _, r := range h.Records {
			if r.Kind == queue.AuditReceived && r.EventID == want.ID {
				rec = r
			}
		}
		if rec.Number != want.Number {
			t.Fatalf("trail %+v has no received record of event %s", h.Records, want.ID)
		}
		sameFields(t, "AuditRecord", want, rec, notInRecord, nil)
		var exported []queue.AuditRecord
		if err := q.(queue.Evidence).Export(b.ctx, time.Time{}, time.Time{}, func(r queue.AuditRecord) error {
			if r.Number == want.Number && r.EventID == want.ID {
				exported = append(exported, r)
			}
			return nil
		}); err != nil || len(exported) != 1 {
			t.Fatalf("Export: %v, %d records of the event", err, len(exported))
		}
		sameFields(t, "exported AuditRecord", want, exported[0], notInRecord, nil)
		items, err := q.Claim(b.ctx, 10, lease)
		if err != nil || len(items) != 1 {
			t.Fatalf("Claim: %v, %d items", err, len(items))
		}
		sameFields(t, "Item", want, items[0], notOnItem, nil)
		if items[0].Events != events || !items[0].FirstReceivedAt.Equal(ev.ReceivedAt) {
			t.Errorf("item %+v: want %d events, first received %v", items[0], events, ev.ReceivedAt)
		}
		if err := q.Snooze(b.ctx, items[0], 0, "put back"); err != nil {
			t.Fatal(err)
		}
	}
	check(t, b.q, ev, 1)
	// A newer event with every field changed wins, and replaces every field the entry keeps.
	next := ev
	next.ID, next.Raw, next.Action, next.Source, next.Channel = "every-field-2", "415.555.0199", queue.Remove, "crm", "voice"
	next.Reason, next.Scope, next.Repeats = "consent again", "brand-z", 3
	next.OccurredAt, next.ReceivedAt, next.ExpiresAt = ev.OccurredAt.Add(time.Second), ev.ReceivedAt.Add(time.Second), time.Time{}
	if st := b.enqueue(t, next); st[0] != queue.Merged {
		t.Fatalf("enqueue of a repeat: %s, want merged", st[0])
	}
	check(t, b.q, next, 2)
	if b.reopen != nil {
		if err := b.q.Close(); err != nil {
			t.Fatal(err)
		}
		q := b.reopen()
		defer q.Close()
		check(t, q, next, 2)
	}
}
