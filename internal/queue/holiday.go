package queue

import "time"

// USFederalHoliday reports whether the UTC date of d is a US federal holiday as the Office of
// Personnel Management observes it (5 U.S.C. 6103): a holiday on a Saturday is observed on the
// Friday before, one on a Sunday on the Monday after. Business days skip these, so the 10-day
// compliance clock does not run out over Thanksgiving or Christmas.
func USFederalHoliday(d time.Time) bool {
	d = day(d)
	for _, h := range usFederalHolidays(d.Year()) {
		if h.Equal(d) {
			return true
		}
	}
	// New Year's Day of the next year observed on 31 December.
	return d.Month() == time.December && d.Day() == 31 && observed(d.Year()+1, time.January, 1).Equal(d)
}

// usFederalHolidays lists the observed dates of the eleven federal holidays of year.
func usFederalHolidays(year int) []time.Time {
	return []time.Time{
		observed(year, time.January, 1),                   // New Year's Day
		nthWeekday(year, time.January, time.Monday, 3),    // Birthday of Martin Luther King, Jr.
		nthWeekday(year, time.February, time.Monday, 3),   // Washington's Birthday
		lastWeekday(year, time.May, time.Monday),          // Memorial Day
		observed(year, time.June, 19),                     // Juneteenth National Independence Day
		observed(year, time.July, 4),                      // Independence Day
		nthWeekday(year, time.September, time.Monday, 1),  // Labor Day
		nthWeekday(year, time.October, time.Monday, 2),    // Columbus Day
		observed(year, time.November, 11),                 // Veterans Day
		nthWeekday(year, time.November, time.Thursday, 4), // Thanksgiving Day
		observed(year, time.December, 25),                 // Christmas Day
	}
}

func day(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// observed moves a fixed-date holiday off the weekend.
func observed(year int, m time.Month, d int) time.Time {
	t := time.Date(year, m, d, 0, 0, 0, 0, time.UTC)
	switch t.Weekday() {
	case time.Saturday:
		return t.AddDate(0, 0, -1)
	case time.Sunday:
		return t.AddDate(0, 0, 1)
	}
	return t
}

func nthWeekday(year int, m time.Month, wd time.Weekday, n int) time.Time {
	t := time.Date(year, m, 1, 0, 0, 0, 0, time.UTC)
	t = t.AddDate(0, 0, (int(wd)-int(t.Weekday())+7)%7)
	return t.AddDate(0, 0, 7*(n-1))
}

func lastWeekday(year int, m time.Month, wd time.Weekday) time.Time {
	t := time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC) // the month's last day
	return t.AddDate(0, 0, -((int(t.Weekday()) - int(wd) + 7) % 7))
}
