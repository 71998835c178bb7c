package destination

import (
	"testing"
	"time"
)

type fixedWindow struct {
	open bool
	at   time.Time
}

func (f fixedWindow) Window(time.Time) (bool, time.Time) { return f.open, f.at }

func TestWaitingSaysWhenTheWindowOpens(t *testing.T) {
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Skip("no zone database:", err)
	}
	winter := time.Date(2026, 1, 5, 23, 0, 0, 0, la)
	summer := time.Date(2026, 7, 5, 23, 0, 0, 0, la)
	for _, c := range []struct {
		w    Windowed
		want string
	}{
		{fixedWindow{false, winter}, "waiting for Five9's window (opens 23:00 PT)"},
		{fixedWindow{false, summer}, "waiting for Five9's window (opens 23:00 PT)"},
		{fixedWindow{false, time.Date(2026, 7, 5, 6, 30, 0, 0, time.UTC)}, "waiting for Five9's window (opens 06:30 UTC)"},
		{fixedWindow{true, time.Time{}}, ""},
		{nil, ""},
	} {
		if got, _ := Waiting("Five9", c.w, time.Now()); got != c.want {
			t.Errorf("%+v: %q, want %q", c.w, got, c.want)
		}
	}
}
