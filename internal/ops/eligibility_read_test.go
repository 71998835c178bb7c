package ops

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/consent"
	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/boltq"
)

// lookupOnly hides a store's batched read, so that eligibility reads it number by number.
type lookupOnly struct{ Store }

// The batched read answers what the number-by-number one does, on trails longer than a page: an
// sms opt-out followed by 1,100 later voice requests still decides an sms query.
func TestEligibleAllBatchedMatchesLookups(t *testing.T) {
	s, err := boltq.Open(filepath.Join(t.TempDir(), "q.db"), boltq.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	base := time.Now().Add(-24 * time.Hour).Truncate(time.Millisecond)
	ev := func(num string, ms int, action queue.Action, ch string) queue.Event {
		at := base.Add(time.Duration(ms) * time.Millisecond)
		return queue.Event{Number: num, Raw: num, Action: action, Source: "test", ConsentChannel: ch, Policy: "scoped",
			ID: fmt.Sprint(num, ms), OccurredAt: at, ReceivedAt: at}
	}
	const long, short, lifted = "+14155550100", "+14155550101", "+14155550102"
	evs := []queue.Event{ev(long, 0, queue.Add, "sms"), ev(short, 0, queue.Add, "voice"),
		ev(lifted, 0, queue.Add, "sms"), ev(lifted, 5, queue.Remove, "sms")}
	for i := 1; i <= 1100; i++ {
		evs = append(evs, ev(long, i, []queue.Action{queue.Add, queue.Remove}[i%2], "voice"))
	}
	if _, err := s.Enqueue(ctx, evs); err != nil {
		t.Fatal(err)
	}
	if h, _, err := s.Lookup(ctx, long, queue.Page{Limit: queue.MaxPageLimit}); err != nil || h.Older == "" {
		t.Fatalf("precondition: %s's trail is more than a page: older %q, %v", long, h.Older, err)
	}
	now := func() time.Time { return base.Add(48 * time.Hour) }
	batched := &Ops{Store: s, DefaultRegion: "US", Now: now}
	single := &Ops{Store: lookupOnly{s}, DefaultRegion: "US", Now: now}
	if _, ok := batched.Store.(historiesReader); !ok {
		t.Fatal("precondition: boltq reads histories in a batch")
	}
	nums := []string{long, "(415) 555-0101", lifted, "+14155550199", "12", long}
	for i := range 2500 { // a batch read in parts (minPart), the known numbers in the last one too
		nums = append(nums, fmt.Sprintf("+1415556%04d", i))
	}
	nums = append(nums, short, long)
	for _, ch := range []string{"sms", "voice", "email", ""} {
		q := EligibilityQuery{Channel: ch}
		got, err := batched.EligibleAll(ctx, nums, q)
		if err != nil {
			t.Fatal(err)
		}
		want, err := single.EligibleAll(ctx, nums, q)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("channel %q: batched %+v\nnumber by number %+v", ch, got, want)
		}
		if ch == "sms" {
			if e := got[0]; e.Eligible || e.Reason != consent.ReasonOptedOut || e.Event == nil || !e.Event.OccurredAt.Equal(base) {
				t.Errorf("the old sms opt-out fell off: %+v", e)
			}
			if e := got[2]; !e.Eligible || e.Reason != consent.ReasonConsent {
				t.Errorf("the lifted opt-out: %+v", e)
			}
			if got[3].Reason != consent.ReasonNoRecord || got[4].Reason != ReasonInvalidNumber || got[5].Query != long {
				t.Errorf("unknown, invalid, repeated: %+v %+v %+v", got[3], got[4], got[5])
			}
			if e := got[len(got)-1]; e.Eligible || e.Reason != consent.ReasonOptedOut {
				t.Errorf("the long trail in the batch's last part: %+v", e)
			}
		}
	}
	one, err := batched.Eligible(ctx, long, EligibilityQuery{Channel: "sms"})
	if err != nil || one.Eligible || one.Reason != consent.ReasonOptedOut {
		t.Fatalf("one number: %+v, %v", one, err)
	}
}
