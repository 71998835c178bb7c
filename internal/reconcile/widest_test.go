package reconcile

import (
	"testing"

	"github.com/dncsync/dncsync/internal/consent"
)

// Several opt-outs at the same moment: the one that includes the others, else every scope; and
// revoke-all if any was.
func TestWidest(t *testing.T) {
	ev := func(c consent.Channel, purpose string, p consent.Decided) consent.Event {
		return consent.Event{Scope: consent.Scope{Channel: c, Purpose: purpose}, Policy: p}
	}
	for _, tc := range []struct {
		evs    []consent.Event
		scope  consent.Scope
		policy consent.Decided
	}{
		{[]consent.Event{ev(consent.Voice, "marketing", consent.Scoped)}, consent.Scope{Channel: consent.Voice, Purpose: "marketing"}, consent.Scoped},
		{[]consent.Event{ev(consent.Voice, "marketing", consent.Scoped), ev(consent.Voice, "", consent.Scoped)}, consent.Scope{Channel: consent.Voice}, consent.Scoped},
		{[]consent.Event{ev(consent.Voice, "", consent.Scoped), ev(consent.SMS, "", consent.RevokeAll)}, consent.Everything, consent.RevokeAll},
		{[]consent.Event{ev(consent.SMS, "x", consent.Scoped), ev(consent.All, "", consent.Scoped), ev(consent.Voice, "", consent.Scoped)}, consent.Everything, consent.Scoped},
	} {
		if sc, p := widest(tc.evs); sc != tc.scope || p != tc.policy {
			t.Errorf("widest(%+v) = %+v %s, want %+v %s", tc.evs, sc, p, tc.scope, tc.policy)
		}
	}
}
