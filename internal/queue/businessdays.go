package queue

import "time"

// DeadlineBusinessDays is the compliance deadline: an opt-out must be honoured within 10 business
// days of its receipt.
const DeadlineBusinessDays = 10

// BusinessDay reports whether the UTC date of d is a business day: Monday to Friday, not a US
// federal holiday (USFederalHoliday).
func BusinessDay(d time.Time) bool {
	wd := d.UTC().Weekday()
	return wd != time.Saturday && wd != time.Sunday && !USFederalHoliday(d)
}

// BusinessDays counts the business days (UTC dates) that have begun since from, up to to: a
// request received on a Friday is 1 business day old on Monday, and still 0 on a Monday that is a
// holiday. Zero when to is not after from.
func BusinessDays(from, to time.Time) int {
	if from.IsZero() || !to.After(from) {
		return 0
	}
	n := 0
	for d, end := day(from).AddDate(0, 0, 1), day(to); !d.After(end); d = d.AddDate(0, 0, 1) {
		if BusinessDay(d) {
			n++
		}
	}
	return n
}

// DueBy is when the business days allowed for a request received at from run out: the last second
// of the tenth business day after it (UTC).
func DueBy(from time.Time) time.Time {
	d := day(from)
	for n := 0; n < DeadlineBusinessDays; {
		d = d.AddDate(0, 0, 1)
		if BusinessDay(d) {
			n++
		}
	}
	return d.Add(24*time.Hour - time.Second)
}
