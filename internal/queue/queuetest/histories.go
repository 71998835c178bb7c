package queuetest

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/dncsync/dncsync/internal/queue"
)

// testHistories: Histories answers for many numbers at once exactly what Lookup does page by page
// (state, and every record oldest first, the oldest included), and leaves out numbers never seen.
func testHistories(t *testing.T, b *testBundle, ev queue.Evidence) {
	const synced, pending, unknown = "+14155550001", "+14155550002", "+14155550003"
	for i := range 7 {
		e := b.ev(synced, i)
		e.ID, e.ConsentChannel, e.Policy = fmt.Sprint("s", i), []string{"sms", "voice"}[i%2], "scoped"
		b.enqueue(t, e)
	}
	b.ackAll(t)
	b.enqueue(t, b.ev(pending, 10), b.ev(pending, 11))
	got, err := ev.Histories(b.ctx, []string{pending, unknown, synced, pending})
	if err != nil {
		t.Fatalf("Histories: %v", err)
	}
	if len(got) != 2 {
		t.Fatalf("Histories has %d numbers, want 2 (the one never seen left out)", len(got))
	}
	for _, n := range []string{synced, pending} {
		want := pagedHistory(t, b, ev, n)
		h, ok := got[n]
		if !ok {
			t.Fatalf("Histories left out %s", n)
		}
		if !reflect.DeepEqual(h.State, want.State) {
			t.Errorf("%s: state %+v\nwant (Lookup) %+v", n, h.State, want.State)
		}
		if !reflect.DeepEqual(h.Records, want.Records) || h.Older != "" {
			t.Errorf("%s: %d records %s (older %q)\nwant (Lookup) %d %s", n, len(h.Records), kinds(h.Records), h.Older,
				len(want.Records), kinds(want.Records))
		}
	}
	if h := got[synced]; len(h.Records) != 8 || h.Records[0].EventID != "s0" || h.Records[7].Kind != queue.AuditConfirmed {
		t.Fatalf("the synced number's trail: %s", kinds(h.Records))
	}
	if got, err := ev.Histories(b.ctx, []string{unknown}); err != nil || len(got) != 0 {
		t.Fatalf("Histories of a number never seen: %v, %v", got, err)
	}
}

// pagedHistory is a number's state and whole trail read by Lookup, pages of 3.
func pagedHistory(t *testing.T, b *testBundle, ev queue.Evidence, number string) queue.History {
	t.Helper()
	var out queue.History
	page := queue.Page{Limit: 3}
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		h, found, err := ev.Lookup(b.ctx, number, page)
		if err != nil || !found {
			t.Fatalf("Lookup(%s): found %v, %v", number, found, err)
		}
		if pages == 0 {
			out.State = h.State
		}
		out.Records = append(h.Records, out.Records...)
		if h.Older == "" {
			return out
		}
		page.Before = h.Older
	}
}
