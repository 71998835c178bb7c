package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/consent"
	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/setting"
)

func TestScopeSettings(t *testing.T) {
	t.Setenv("DNCSYNC_DESTINATIONS", "cxone,genesys")
	t.Setenv("GENESYS_SCOPE", "sms/marketing")
	lanes, err := Bind(setting.New("")).Lanes()
	if err != nil {
		t.Fatal(err)
	}
	want := []consent.Lane{{Name: "cxone", Scope: consent.Everything},
		{Name: "genesys", Scope: consent.Scope{Channel: consent.SMS, Purpose: "marketing"}}}
	if len(lanes) != 2 || lanes[0] != want[0] || lanes[1] != want[1] {
		t.Fatalf("lanes %+v, want %+v", lanes, want)
	}
	t.Setenv("GENESYS_SCOPE", "fax")
	err = Bind(setting.New("")).Validate()
	if err == nil || !strings.Contains(err.Error(), `GENESYS_SCOPE="fax"`) {
		t.Fatalf("Validate with GENESYS_SCOPE=fax: %v; want an error naming the variable", err)
	}
}

// The store the service opens routes each event by the destinations' scopes, through Dest too,
// and leaves the caller's events as they were.
func TestStoreRoutesByScope(t *testing.T) {
	t.Setenv("DNCSYNC_DESTINATIONS", "cxone,genesys")
	t.Setenv("GENESYS_SCOPE", "sms")
	t.Setenv("DNCSYNC_DATA_DIR", t.TempDir())
	s, err := OpenStore(Bind(setting.New("")))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	at := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	ev := func(n string, a queue.Action, ch string, min int) queue.Event {
		t := at.Add(time.Duration(min) * time.Minute)
		return queue.Event{Number: n, Action: a, ConsentChannel: ch, Policy: string(consent.Scoped), OccurredAt: t, ReceivedAt: t}
	}
	depth := func(dest string) int64 {
		d, err := s.Dest(dest)
		if err != nil {
			t.Fatal(err)
		}
		st, err := d.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return st.Depth()
	}
	events := []queue.Event{ev("+14155550501", queue.Add, "voice", 0)}
	if _, err := s.Enqueue(ctx, events); err != nil {
		t.Fatal(err)
	}
	if events[0].Lanes != nil {
		t.Fatalf("the caller's event was changed: lanes %v", events[0].Lanes)
	}
	if c, g := depth("cxone"), depth("genesys"); c != 1 || g != 0 {
		t.Fatalf("a voice opt-out: cxone %d, genesys %d queued; want cxone alone", c, g)
	}
	// Through a destination's view, an sms opt-out reaches both; then a START, read against the
	// trail, restores texts at the sms list only (a voice opt-out of the number stands at CXone).
	g, err := s.Dest("genesys")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Enqueue(ctx, []queue.Event{ev("+14155550501", queue.Add, "sms", 1)}); err != nil {
		t.Fatal(err)
	}
	if c, g := depth("cxone"), depth("genesys"); c != 1 || g != 1 {
		t.Fatalf("an sms opt-out: cxone %d, genesys %d queued; want both", c, g)
	}
	if _, err := s.Enqueue(ctx, []queue.Event{ev("+14155550501", queue.Remove, "sms", 2)}); err != nil {
		t.Fatal(err)
	}
	for dest, want := range map[string]queue.Action{"cxone": queue.Add, "genesys": queue.Remove} {
		d, _ := s.Dest(dest)
		items, err := d.Claim(ctx, 10, time.Minute)
		if err != nil || len(items) != 1 || items[0].Action != want {
			t.Fatalf("%s: %+v %v, want one %s", dest, items, err, want)
		}
	}
}
