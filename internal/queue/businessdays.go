package queue

import "time"

// DeadlineBusinessDays is the compliance deadline: an opt-out must be honoured within 10 business
// days of its receipt.
const DeadlineBusinessDays = 10

// BusinessDays counts the business days (Monday to Friday, UTC dates; holidays are not known here)
// that have begun since from, up to to: a request received on a Friday is 1 business day old on
// Monday. Zero when to is not after from.
func BusinessDays(from, to time.Time) int {
	if from.IsZero() || !to.After(from) {
		return 0
	}
	d0 := time.Date(from.UTC().Year(), from.UTC().Month(), from.UTC().Day(), 0, 0, 0, 0, time.UTC)
	d1 := time.Date(to.UTC().Year(), to.UTC().Month(), to.UTC().Day(), 0, 0, 0, 0, time.UTC)
	days := int(d1.Sub(d0).Hours() / 24)
	// Whole weeks have five business days each; walk the rest.
	n := days / 7 * 5
	for d := d0.AddDate(0, 0, days/7*7+1); !d.After(d1); d = d.AddDate(0, 0, 1) {
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n++
		}
	}
	return n
}
