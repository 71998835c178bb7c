package window

import (
	"testing"
	"time"
)

// The window follows Pacific time through daylight saving time: 23:00 to 06:00 local, winter and
// summer alike, whatever UTC says.
func TestAddsWindow(t *testing.T) {
	pt := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, Pacific) }
	for _, c := range []struct {
		at    time.Time
		open  bool
		opens time.Time
	}{
		{pt(2026, 1, 15, 22, 59), false, pt(2026, 1, 15, 23, 0)},
		{pt(2026, 1, 15, 23, 0), true, time.Time{}},
		{pt(2026, 1, 16, 5, 59), true, time.Time{}},
		{pt(2026, 1, 16, 6, 0), false, pt(2026, 1, 16, 23, 0)},
		{pt(2026, 7, 15, 12, 0), false, pt(2026, 7, 15, 23, 0)},
		{pt(2026, 7, 15, 23, 30), true, time.Time{}},
		// 2026-03-08 02:00 PST becomes 03:00 PDT; the window still closes at 06:00 PDT.
		{pt(2026, 3, 8, 5, 30), true, time.Time{}},
		{pt(2026, 3, 8, 6, 0), false, pt(2026, 3, 8, 23, 0)},
		// In UTC: 07:00 UTC is 23:00 PST in winter (open) but 00:00 PDT in summer (open), and
		// 06:30 UTC is 22:30 PST (closed) in winter but 23:30 PDT (open) in summer.
		{time.Date(2026, 1, 15, 6, 30, 0, 0, time.UTC), false, pt(2026, 1, 14, 23, 0)},
		{time.Date(2026, 7, 15, 6, 30, 0, 0, time.UTC), true, time.Time{}},
	} {
		open, opens := Adds(c.at)
		if open != c.open || !opens.Equal(c.opens) {
			t.Errorf("%s: open %v opens %s, want %v %s", c.at, open, opens, c.open, c.opens)
		}
	}
	if _, at := Adds(time.Date(2026, 1, 15, 20, 0, 0, 0, time.UTC)); at.Location() != Pacific || at.Format("15:04 MST") != "23:00 PST" {
		t.Errorf("opensAt %s: want 23:00 in Pacific time", at)
	}
}
