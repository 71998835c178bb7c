package queue

import (
	"testing"
	"time"
)

// The observed federal holidays as OPM publishes them, written out by hand (not computed), so that
// the rules in holiday.go are held to the published calendar through 2030.
var opmHolidays = map[int][]string{
	2025: {"01-01", "01-20", "02-17", "05-26", "06-19", "07-04", "09-01", "10-13", "11-11", "11-27", "12-25"},
	2026: {"01-01", "01-19", "02-16", "05-25", "06-19", "07-03", "09-07", "10-12", "11-11", "11-26", "12-25"},
	// Juneteenth, Independence Day and Christmas fall on weekends; New Year's Day 2028 (a Saturday)
	// is observed on 31 December 2027.
	2027: {"01-01", "01-18", "02-15", "05-31", "06-18", "07-05", "09-06", "10-11", "11-11", "11-25", "12-24", "12-31"},
	2028: {"01-17", "02-21", "05-29", "06-19", "07-04", "09-04", "10-09", "11-10", "11-23", "12-25"},
	2029: {"01-01", "01-15", "02-19", "05-28", "06-19", "07-04", "09-03", "10-08", "11-12", "11-22", "12-25"},
	2030: {"01-01", "01-21", "02-18", "05-27", "06-19", "07-04", "09-02", "10-14", "11-11", "11-28", "12-25"},
}

func TestUSFederalHolidayMatchesOPM(t *testing.T) {
	for year, days := range opmHolidays {
		want := map[string]bool{}
		for _, d := range days {
			want[d] = true
		}
		for d := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() == year; d = d.AddDate(0, 0, 1) {
			k := d.Format("01-02")
			// Midday in New York is still the same UTC date: the calendar is by UTC date.
			if got := USFederalHoliday(d.Add(17 * time.Hour)); got != want[k] {
				t.Errorf("USFederalHoliday(%d-%s) = %v, want %v", year, k, got, want[k])
			}
		}
	}
}
