package queue

import (
	"testing"
	"time"
)

func TestBusinessDays(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		from, to string
		want     int
	}{
		{"2026-11-27T10:00:00Z", "2026-11-27T18:00:00Z", 0}, // Friday, same day
		{"2026-11-27T10:00:00Z", "2026-11-28T10:00:00Z", 0}, // Friday to Saturday
		{"2026-11-27T10:00:00Z", "2026-11-30T09:00:00Z", 1}, // Friday to Monday
		{"2026-11-23T10:00:00Z", "2026-11-30T10:00:00Z", 5}, // Monday to Monday
		{"2026-11-23T10:00:00Z", "2026-12-07T09:00:00Z", 10},
		{"2026-11-28T10:00:00Z", "2026-12-14T10:00:00Z", 11}, // Saturday, two weeks and two days on
		{"2026-11-30T10:00:00Z", "2026-11-27T10:00:00Z", 0},  // backwards
	} {
		if got := BusinessDays(at(c.from), at(c.to)); got != c.want {
			t.Errorf("BusinessDays(%s, %s) = %d, want %d", c.from, c.to, got, c.want)
		}
	}
	// The walk agrees with counting day by day over every start weekday and span.
	base := at("2026-11-23T12:00:00Z")
	for s := range 7 {
		for span := range 40 {
			from := base.AddDate(0, 0, s)
			to := from.AddDate(0, 0, span)
			want := 0
			for d := 1; d <= span; d++ {
				if wd := from.AddDate(0, 0, d).Weekday(); wd != time.Saturday && wd != time.Sunday {
					want++
				}
			}
			if got := BusinessDays(from, to); got != want {
				t.Fatalf("BusinessDays(%v, +%d days) = %d, want %d", from, span, got, want)
			}
		}
	}
}
