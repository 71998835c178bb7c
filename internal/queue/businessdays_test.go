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
		{"2026-11-23T10:00:00Z", "2026-11-30T10:00:00Z", 4}, // Monday to Monday over Thanksgiving
		{"2026-11-30T10:00:00Z", "2026-12-07T10:00:00Z", 5}, // Monday to Monday
		{"2026-11-23T10:00:00Z", "2026-12-07T09:00:00Z", 9},
		{"2026-12-18T10:00:00Z", "2027-01-04T10:00:00Z", 9},  // over Christmas and New Year's Day
		{"2026-11-28T10:00:00Z", "2026-12-14T10:00:00Z", 11}, // Saturday, two weeks and two days on
		{"2027-01-15T10:00:00Z", "2027-01-18T10:00:00Z", 0},  // Friday to MLK Day
		{"2026-11-30T10:00:00Z", "2026-11-27T10:00:00Z", 0},  // backwards
	} {
		if got := BusinessDays(at(c.from), at(c.to)); got != c.want {
			t.Errorf("BusinessDays(%s, %s) = %d, want %d", c.from, c.to, got, c.want)
		}
	}
	// The count agrees with counting day by day over every start weekday and span.
	base := at("2026-11-23T12:00:00Z")
	for s := range 7 {
		for span := range 40 {
			from := base.AddDate(0, 0, s)
			to := from.AddDate(0, 0, span)
			want := 0
			for d := 1; d <= span; d++ {
				day := from.AddDate(0, 0, d)
				if wd := day.Weekday(); wd != time.Saturday && wd != time.Sunday && !USFederalHoliday(day) {
					want++
				}
			}
			if got := BusinessDays(from, to); got != want {
				t.Fatalf("BusinessDays(%v, +%d days) = %d, want %d", from, span, got, want)
			}
		}
	}
}

func TestDueBy(t *testing.T) {
	for _, c := range []struct{ received, due string }{
		{"2026-12-04T18:00:00Z", "2026-12-18T23:59:59Z"}, // Friday: two weeks on
		{"2026-11-20T18:00:00Z", "2026-12-07T23:59:59Z"}, // Thanksgiving adds a day
		{"2026-12-18T09:00:00Z", "2027-01-05T23:59:59Z"}, // Christmas and New Year's Day add two
	} {
		from, _ := time.Parse(time.RFC3339, c.received)
		got := DueBy(from)
		if got.Format(time.RFC3339) != c.due {
			t.Errorf("DueBy(%s) = %s, want %s", c.received, got.Format(time.RFC3339), c.due)
		}
		if n := BusinessDays(from, got); n != DeadlineBusinessDays {
			t.Errorf("BusinessDays(%s, DueBy) = %d, want %d", c.received, n, DeadlineBusinessDays)
		}
	}
}
