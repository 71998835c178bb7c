package cxone

import (
	"strings"
	"time"
)

// adminTimeLayouts are the date shapes the Admin API is seen or expected to give, tried in order
// after the text is upper-cased (so that "am", "t" and "z" read too). The spec types its dates only
// as strings (calljacob/nice-cxone-api src/services/admin/AdminListsService.ts); NICE's own API
// tests send MM/DD/YYYY (walterplaza/protractor calling-dnc-group-management-v12.ts), a US
// tenant's locale writes M/D/YYYY with a 12-hour time ("1/2/2031 12:00:00 AM"), and JSON APIs ISO
// 8601 with or without a zone and a fraction. Go reads a fraction after the seconds of any layout,
// and one- or two-digit months, days and 12-hour hours in the M/D forms. A time without a zone is
// UTC.
var adminTimeLayouts = []string{
	time.RFC3339Nano,            // 2031-01-02T00:00:00.123Z, 2031-01-02T00:00:00+01:00
	"2006-01-02T15:04:05Z0700",  // +0100
	"2006-01-02T15:04:05Z07",    // +01
	"2006-01-02T15:04:05",       // no zone
	"2006-01-02T15:04Z07:00",    // no seconds
	"2006-01-02T15:04",          // no seconds, no zone
	"2006-01-02 15:04:05Z07:00", // a space for the T
	"2006-01-02 15:04:05Z0700",  //
	"2006-01-02 15:04:05",       //
	"2006-01-02 15:04",          //
	"2006-01-02",                // a date alone
	"1/2/2006 3:04:05 PM",       // 1/2/2031 12:00:00 AM, 01/02/2031 01:30:00 PM
	"1/2/2006 3:04:05PM",        //
	"1/2/2006 3:04 PM",          //
	"1/2/2006 3:04PM",           //
	"1/2/2006 15:04:05",         // a 24-hour time
	"1/2/2006 15:04",            //
	"1/2/2006",                  // 1/2/2031, 01/02/2031 (expiredDateLayout)
}

// parseAdminTime reads one of the Admin API's dates. ok is false for text that is not empty and is
// none of adminTimeLayouts; empty (or JSON null) is the zero time, ok.
func parseAdminTime(s string) (t time.Time, ok bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if s == "" {
		return time.Time{}, true
	}
	for _, l := range adminTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// adminTime is parseAdminTime for the dates that only inform (collected, last updated): zero when
// not understood.
func adminTime(s string) time.Time {
	t, _ := parseAdminTime(s)
	return t
}

// dateShape is s with every digit written 9 and every letter A: what a date looks like without
// saying which one, for a log line.
func dateShape(s string) string {
	b := []byte(strings.TrimSpace(s))
	if len(b) > 40 {
		b = b[:40]
	}
	for i, c := range b {
		switch {
		case c >= '0' && c <= '9':
			b[i] = '9'
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			b[i] = 'A'
		case c < ' ' || c > '~':
			b[i] = '?'
		}
	}
	return string(b)
}

// maxUnreadShapes bounds the date shapes remembered as logged.
const maxUnreadShapes = 64

// expiredDate reads a record's expiredDate; ok false when it is in no shape dncsync reads. Each
// such shape is logged once per process, with the shape only: one line, not one per record.
func (a *Admin) expiredDate(s string) (time.Time, bool) {
	t, ok := parseAdminTime(s)
	if ok {
		return t, true
	}
	shape := dateShape(s)
	a.unreadMu.Lock()
	first := !a.unreadShapes[shape] && len(a.unreadShapes) < maxUnreadShapes
	if first {
		if a.unreadShapes == nil {
			a.unreadShapes = map[string]bool{}
		}
		a.unreadShapes[shape] = true
	}
	a.unreadMu.Unlock()
	if first {
		a.log().Warn("CXone gave an expiredDate in a shape dncsync does not read; such records count as expired, "+
			"so reconcile re-adds their numbers (logged once per shape)", "shape", shape)
	}
	return time.Time{}, false
}
