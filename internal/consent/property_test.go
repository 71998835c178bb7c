package consent

import (
	"math/rand/v2"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/dncsync/dncsync/internal/queue"
)

var (
	genChannel = rapid.SampledFrom([]Channel{Voice, SMS, Email, All})
	genLabel   = rapid.SampledFrom([]string{"", "marketing", "collections"})
	genBrand   = rapid.SampledFrom([]string{"", "acme", "globex"})
)

func genScope(t *rapid.T, label string) Scope {
	return Scope{Channel: genChannel.Draw(t, label+"channel"), Purpose: genLabel.Draw(t, label+"purpose"),
		Brand: genBrand.Draw(t, label+"brand")}
}

func genEvents(t *rapid.T) []Event {
	n := rapid.IntRange(0, 8).Draw(t, "n")
	evs := make([]Event, n)
	for i := range evs {
		a := rapid.SampledFrom([]queue.Action{queue.Add, queue.Remove}).Draw(t, "action")
		occ := at(rapid.IntRange(0, 10).Draw(t, "occurred"))
		evs[i] = Event{Action: a, Scope: genScope(t, "ev"), Policy: rapid.SampledFrom([]Decided{RevokeAll, Scoped}).Draw(t, "policy"),
			OccurredAt: occ, ReceivedAt: occ.Add(time.Duration(i) * time.Second)}
		if a == queue.Add && rapid.Bool().Draw(t, "expires") {
			evs[i].ExpiresAt = occ.Add(time.Duration(rapid.IntRange(1, 12).Draw(t, "lasts")) * time.Minute)
		}
	}
	return evs
}

func genQuery(t *rapid.T) Query {
	s := genScope(t, "q")
	if s.Channel == All && rapid.Bool().Draw(t, "concrete") {
		s.Channel = Voice
	}
	return Query{Scope: s, At: at(rapid.IntRange(0, 12).Draw(t, "at"))}
}

// standsAgainst is the property's own reading of the rule, written apart from Decide: opt-out r
// blocks q at q.At unless a consent strictly later (by q.At) names a scope including all of r's
// reach.
func standsAgainst(evs []Event, r Event, q Query, ch Channel) bool {
	if r.Action != queue.Add || q.At.Before(r.OccurredAt) || (!r.ExpiresAt.IsZero() && !q.At.Before(r.ExpiresAt)) {
		return false
	}
	qs := Scope{Channel: ch, Purpose: q.Scope.Purpose, Brand: q.Scope.Brand}
	byOwn := r.Scope.Meets(qs)
	byAll := r.Policy == RevokeAll && (ch == Voice || ch == SMS)
	if !byOwn && !byAll {
		return false
	}
	for _, c := range evs {
		if c.Action != queue.Remove || !c.OccurredAt.After(r.OccurredAt) || q.At.Before(c.OccurredAt) {
			continue
		}
		whole := c.Scope.norm()
		if whole.Channel == All && whole.Purpose == "" && whole.Brand == "" {
			return false // consent to everything lifts anything before it
		}
		if r.Policy == Scoped && c.Scope.Includes(r.Scope) {
			return false
		}
	}
	return true
}

// No sequence of consents makes a number eligible where a later-or-equal opt-out reaching the
// query stands; and where none stands, the number is eligible.
func TestNoConsentLiftsAStandingOptOut(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		evs, q := genEvents(t), genQuery(t)
		d := Decide(evs, q)
		chans := []Channel{q.Scope.norm().Channel}
		if chans[0] == All {
			chans = Channels
		}
		blocked := false
		for _, ch := range chans {
			for _, r := range evs {
				blocked = blocked || standsAgainst(evs, r, q, ch)
			}
		}
		if d.Eligible == blocked {
			t.Fatalf("Decide = %+v; an opt-out stands: %v", d, blocked)
		}
		if !d.Eligible && (d.Event == nil || d.Event.Action != queue.Add) {
			t.Fatalf("not eligible, decided by %+v: want the opt-out", d.Event)
		}
	})
}

// More opt-outs never make a number eligible; order of the history does not matter; a consent of
// one channel changes nothing on another.
func TestDecideMonotone(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		evs, q := genEvents(t), genQuery(t)
		d := Decide(evs, q)
		shuffled := append([]Event(nil), evs...)
		rand.New(rand.NewPCG(uint64(len(evs)), 7)).Shuffle(len(shuffled), func(i, j int) {
			shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
		})
		if s := Decide(shuffled, q); s.Eligible != d.Eligible || s.Reason != d.Reason {
			t.Fatalf("order changed the answer: %+v, then %+v", d, s)
		}
		occ := at(rapid.IntRange(0, 10).Draw(t, "extra"))
		out := Event{Action: queue.Add, Scope: genScope(t, "out"), Policy: Scoped, OccurredAt: occ, ReceivedAt: occ}
		if !d.Eligible && Decide(append(evs, out), q).Eligible {
			t.Fatalf("an opt-out %+v made the number eligible", out)
		}
		in := Event{Action: queue.Remove, Scope: Scope{Channel: rapid.SampledFrom([]Channel{Voice, SMS, Email}).Draw(t, "inch"),
			Purpose: genLabel.Draw(t, "inp"), Brand: genBrand.Draw(t, "inb")}, Policy: Scoped, OccurredAt: occ, ReceivedAt: occ}
		for _, ch := range Channels {
			if ch == in.Scope.Channel {
				continue
			}
			qc := Query{Scope: Scope{Channel: ch, Purpose: q.Scope.Purpose, Brand: q.Scope.Brand}, At: q.At}
			if a, b := Decide(evs, qc), Decide(append(evs, in), qc); a.Eligible != b.Eligible {
				t.Fatalf("a consent on %s changed %s: %+v to %+v", in.Scope.Channel, ch, a, b)
			}
		}
	})
}
