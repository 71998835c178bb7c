package cxonesim

import (
	"regexp"
	"strings"
)

// The admin API carries numbers as digits only: NANP numbers as their 10
// national digits, others as their E.164 digits without "+". The store keys
// by E.164, so both profiles' numbers compare equal:
//
//	10 digits       -> "+1" + digits  (NANP)
//	7..15 otherwise -> "+" + digits   (must then be valid E.164)
//
// Beyond ^[0-9]{7,15}$ that refuses digits starting with 0 (no country code
// does) and, unless exactly 10 long, with 1: country code 1 is NANP, which
// travels as 10 digits, so "14155552671" is a client that only dropped the
// "+". The rule cannot tell a 10-digit non-NANP E.164 number (+49301234567
// is 11 digits, but e.g. +4930123456 is 10) from a NANP one; the simulator,
// like the contract, reads every 10-digit number as NANP.
var adminDigits = regexp.MustCompile(`^[0-9]{7,15}$`)

// adminToE164 converts wire digits to E.164; ok is false for an invalid
// phone number.
func adminToE164(digits string) (e164 string, ok bool) {
	if !adminDigits.MatchString(digits) {
		return "", false
	}
	if len(digits) == 10 {
		return "+1" + digits, true
	}
	if digits[0] == '1' {
		return "", false
	}
	n := "+" + digits
	return n, validNumber(n)
}

// e164ToAdmin converts a stored number to wire digits, the reverse of
// adminToE164 for every number it accepts.
func e164ToAdmin(n string) string {
	if len(n) == 12 && strings.HasPrefix(n, "+1") {
		return n[2:]
	}
	return strings.TrimPrefix(n, "+")
}

// formattedPhone renders wire digits for display: "(415) 555-2671" for NANP,
// "+<digits>" otherwise.
func formattedPhone(digits string) string {
	if len(digits) == 10 {
		return "(" + digits[:3] + ") " + digits[3:6] + "-" + digits[6:]
	}
	return "+" + digits
}
