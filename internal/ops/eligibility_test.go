package ops

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/consent"
	"github.com/dncsync/dncsync/internal/queue"
)

// With two destinations, the answer lists each, and which confirmed the deciding opt-out: the
// genesys lane dead-lettered it, cxone has not pushed it yet.
func TestEligibilityListsEachDestination(t *testing.T) {
	o, _ := deadStore(t, 1)
	e, err := o.Eligible(context.Background(), "+14155550000", EligibilityQuery{Channel: "voice"})
	if err != nil {
		t.Fatal(err)
	}
	if e.Eligible || e.Reason != consent.ReasonOptedOut || len(e.Destinations) != 2 {
		t.Fatalf("answer %+v", e)
	}
	for i, want := range []struct {
		name  string
		state queue.State
	}{{"cxone", queue.StatePending}, {"genesys", queue.StateDead}} {
		if d := e.Destinations[i]; d.Destination != want.name || d.State != want.state || d.Confirms {
			t.Errorf("destination %d: %+v; want %s %s, not confirming", i, d, want.name, want.state)
		}
	}
	if _, err := o.Eligible(context.Background(), "12", EligibilityQuery{}); !isInput(err) {
		t.Fatalf("an invalid number: %v; want an input error", err)
	}
	if _, err := o.Eligible(context.Background(), "+14155550000", EligibilityQuery{Channel: "fax"}); !isInput(err) {
		t.Fatalf("channel fax: %v; want an input error", err)
	}
}

func isInput(err error) bool {
	var in *InputError
	return errors.As(err, &in)
}

// failing is a store whose lookups fail.
type failing struct{ Store }

func (failing) Lookup(context.Context, string, queue.Page) (queue.History, bool, error) {
	return queue.History{}, false, queue.ErrUnavailable
}

// A batch fails whole when the store does: no answer is better than a wrong "eligible".
func TestEligibleAllFailsWithTheStore(t *testing.T) {
	o := &Ops{Store: failing{}, DefaultRegion: "US", Now: func() time.Time { return time.Unix(1_800_000_000, 0) }}
	nums := make([]string, 100)
	for i := range nums {
		nums[i] = "+14155550100"
	}
	res, err := o.EligibleAll(context.Background(), nums, EligibilityQuery{})
	if !errors.Is(err, queue.ErrUnavailable) || res != nil {
		t.Fatalf("EligibleAll = %d results, %v; want none and the store's error", len(res), err)
	}
	for _, n := range [][]string{nil, make([]string, MaxEligibility+1)} {
		if _, err := o.EligibleAll(context.Background(), n, EligibilityQuery{}); !isInput(err) {
			t.Errorf("%d numbers: %v; want an input error", len(n), err)
		}
	}
}
