package queuetest

import (
	"errors"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// Routing by scope (queue.Event.Lanes) happens at enqueue: each event reaches only the lanes it
// names, and each lane merges only what reached it. The hazard it exists for: an opt-out for every
// lane followed by a consent routed to one must leave the other lane's opt-out in place, which a
// filter applied after one merged entry per number could not do.

// Lanes queues an event for the named destinations only; an empty list for none.
func testDestLanes(t *testing.T, b *destBundle) {
	n := "+14155550007"
	e := b.ev(n, 0)
	e.Lanes = []string{"genesys"}
	if st := b.enqueue(t, e); st[0] != queue.Created {
		t.Fatalf("status %s, want created", st[0])
	}
	if s, _ := b.cx.Stats(b.ctx); s.Depth() != 0 {
		t.Fatalf("an event routed to genesys alone was queued for cxone: %+v", s)
	}
	if s, _ := b.gn.Stats(b.ctx); s.Ready != 1 {
		t.Fatalf("genesys stats %+v, want one ready", s)
	}
	if ns := b.state(t, n); ns.Destinations["genesys"].State != queue.StatePending {
		t.Fatalf("state %+v: want pending at genesys", ns)
	}

	// Routed to none: accepted and recorded, as stale (no list changes), queued nowhere.
	m := "+14155550008"
	e = b.ev(m, 0)
	e.Lanes = []string{}
	e.ConsentChannel = "email"
	if st := b.enqueue(t, e); st[0] != queue.Stale {
		t.Fatalf("status %s for an event routed nowhere, want stale", st[0])
	}
	if s, _ := b.cx.Stats(b.ctx); s.Depth() != 0 {
		t.Fatalf("cxone queued an event routed nowhere: %+v", s)
	}
	if s, _ := b.gn.Stats(b.ctx); s.Depth() != 1 {
		t.Fatalf("genesys queued an event routed nowhere: %+v, want the first number alone", s)
	}
	h, found, err := b.s.Lookup(b.ctx, m, queue.Page{})
	if err != nil || !found || len(h.Records) != 1 {
		t.Fatalf("trail of an event routed nowhere: %+v %v %v", h.Records, found, err)
	}
	if r := h.Records[0]; r.Kind != queue.AuditStale || r.ConsentChannel != "email" {
		t.Fatalf("record %+v: want the stale record of the email opt-out", r)
	}

	// Only and Lanes both: a destination must be named by both.
	o := b.ev("+14155550009", 0)
	o.Only, o.Lanes = "genesys", []string{"cxone"}
	if st := b.enqueue(t, o); st[0] != queue.Stale {
		t.Fatalf("status %s, want stale: Only and Lanes share no destination", st[0])
	}
}

// LanesKeepAdd: an opt-out for both lanes, then a consent routed to cxone alone, queued together
// and apart: cxone pushes the removal, genesys keeps the opt-out.
func testDestLanesKeepAdd(t *testing.T, b *destBundle) { keepAdd(t, b, false) }

// RunConfirmedScope checks, on a store opened with "cxone" and "genesys" as RunDestinations does,
// that each destination's confirmation records the scope and policy of the request it pushed
// (queue.Confirmed): the evidence of which scope put a number on a list, or took it off.
func RunConfirmedScope(t *testing.T, open func(t *testing.T, names []string, now func() time.Time) queue.Store) {
	keepAdd(t, newDestBundle(t, open), true)
}

func keepAdd(t *testing.T, b *destBundle, scopes bool) {
	for _, tc := range []struct {
		number   string
		together bool
		confirm  bool
	}{{"+14155550010", true, false}, {"+14155550011", false, false}, {"+14155550012", false, true}} {
		add := b.ev(tc.number, 0)
		add.Lanes, add.ConsentChannel, add.Policy = []string{"cxone", "genesys"}, "all", "scoped"
		rm := b.ev(tc.number, 10)
		rm.Action, rm.ConsentChannel, rm.Lanes = queue.Remove, "voice", []string{"cxone"}
		if tc.together {
			b.enqueue(t, add, rm)
		} else {
			b.enqueue(t, add)
			if tc.confirm { // genesys confirmed the opt-out before the consent came
				g := claimFrom(t, b, b.gn, 10)
				wantNumbers(t, g, tc.number)
				if err := b.gn.Ack(b.ctx, g); err != nil {
					t.Fatal(err)
				}
			}
			b.enqueue(t, rm)
		}
		cx := claimFrom(t, b, b.cx, 10)
		wantNumbers(t, cx, tc.number)
		if cx[0].Action != queue.Remove || cx[0].ConsentChannel != "voice" {
			t.Fatalf("%s at cxone: %s %q, want the voice consent's removal", tc.number, cx[0].Action, cx[0].ConsentChannel)
		}
		if tc.confirm {
			if s, _ := b.gn.Stats(b.ctx); s.Depth() != 0 {
				t.Fatalf("%s: genesys queued the consent it was not routed: %+v", tc.number, s)
			}
			if d := b.state(t, tc.number).Destinations["genesys"]; d.State != queue.StateSynced || d.ConfirmedAction != queue.Add {
				t.Fatalf("%s at genesys: %+v, want the opt-out still synced", tc.number, d)
			}
		} else {
			gn := claimFrom(t, b, b.gn, 10)
			wantNumbers(t, gn, tc.number)
			if gn[0].Action != queue.Add {
				t.Fatalf("%s at genesys: %s, want the opt-out kept", tc.number, gn[0].Action)
			}
			if err := b.gn.Ack(b.ctx, gn); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.cx.Ack(b.ctx, cx); err != nil {
			t.Fatal(err)
		}
		ns := b.state(t, tc.number)
		if ns.Destinations["cxone"].ConfirmedAction != queue.Remove || ns.Destinations["genesys"].ConfirmedAction != queue.Add {
			t.Fatalf("%s: %+v, want removed at cxone, on the list at genesys", tc.number, ns.Destinations)
		}
		if !scopes {
			continue
		}
		// Each destination's evidence says which scope put the number there, or took it off.
		h, _, err := b.s.Lookup(b.ctx, tc.number, queue.Page{})
		if err != nil {
			t.Fatal(err)
		}
		scopes := map[string]string{}
		for _, r := range h.Records {
			if r.Kind == queue.AuditConfirmed && r.Action == queue.Remove && r.Destination == "cxone" ||
				r.Kind == queue.AuditConfirmed && r.Action == queue.Add && r.Destination == "genesys" {
				scopes[r.Destination] = r.ConsentChannel + "," + r.Policy + "," + r.Scope
			}
		}
		if scopes["cxone"] != "voice,,brand" || scopes["genesys"] != "all,scoped,brand" {
			t.Fatalf("%s: confirmed scopes %v, want cxone's by the voice consent, genesys's by the opt-out of all", tc.number, scopes)
		}
	}
}

func testDestLaneUnknown(t *testing.T, b *destBundle) {
	e := b.ev("+14155550013", 0)
	e.Lanes = []string{"cxone", "nope"}
	if _, err := b.s.Enqueue(b.ctx, []queue.Event{e}); !errors.Is(err, queue.ErrNoDestination) {
		t.Fatalf("an event routed to an unknown destination: %v, want ErrNoDestination", err)
	}
	if s, _ := b.cx.Stats(b.ctx); s.Depth() != 0 {
		t.Fatalf("the refused batch wrote cxone's queue: %+v", s)
	}
}
