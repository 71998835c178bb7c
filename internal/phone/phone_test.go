package phone

import (
	"errors"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

type okCase struct {
	raw, region string
	want        Number
}

// okCases are inputs Parse must accept, with the exact result. They also
// seed the fuzz corpus and feed the concurrency test.
var okCases = []okCase{
	// US formats.
	{"(415) 555-2671", "US", Number{E164: "+14155552671", Region: "US"}},
	{"415.555.2671", "US", Number{E164: "+14155552671", Region: "US"}},
	{"+1 415 555 2671", "US", Number{E164: "+14155552671", Region: "US"}},
	{"1-415-555-2671", "US", Number{E164: "+14155552671", Region: "US"}},
	{"1 (415) 555-2671", "US", Number{E164: "+14155552671", Region: "US"}},
	{"14155552671", "US", Number{E164: "+14155552671", Region: "US"}},
	{"+14155552671", "US", Number{E164: "+14155552671", Region: "US"}},
	{"tel:+1-415-555-2671", "US", Number{E164: "+14155552671", Region: "US"}},
	{"  4155552671 ", "US", Number{E164: "+14155552671", Region: "US"}},
	{"4155552671\r\n", "US", Number{E164: "+14155552671", Region: "US"}},
	{"\t4155552671\t", "US", Number{E164: "+14155552671", Region: "US"}},
	{"415-555-2671.", "US", Number{E164: "+14155552671", Region: "US"}},
	{"++1 415 555 2671", "US", Number{E164: "+14155552671", Region: "US"}},
	{"４１５５５５２６７１", "US", Number{E164: "+14155552671", Region: "US"}},      // full-width digits
	{"＋１ ４１５ ５５５ ２６７１", "US", Number{E164: "+14155552671", Region: "US"}}, // full-width plus
	{"tel:5552671;phone-context=+1415", "US", Number{E164: "+14155552671", Region: "US"}},
	{"4155552671", "", Number{E164: "+14155552671", Region: "US"}},
	{"4155552671", "us", Number{E164: "+14155552671", Region: "US"}},

	// Extensions: dropped from E164, kept as ASCII digits.
	{"415-555-2671 x123", "US", Number{E164: "+14155552671", Region: "US", Extension: "123"}},
	{"415-555-2671 ext. 123", "US", Number{E164: "+14155552671", Region: "US", Extension: "123"}},
	{"(415) 555-2671 extension 123", "US", Number{E164: "+14155552671", Region: "US", Extension: "123"}},
	{"+1-415-555-2671;ext=123", "US", Number{E164: "+14155552671", Region: "US", Extension: "123"}},
	{"tel:+1-415-555-2671;ext=123", "US", Number{E164: "+14155552671", Region: "US", Extension: "123"}},
	{"+1 415 555 2671 x１２３", "US", Number{E164: "+14155552671", Region: "US", Extension: "123"}},
	// The library keeps the first of two extensions.
	{"(415) 555-2671 x302/x2303", "US", Number{E164: "+14155552671", Region: "US", Extension: "302"}},

	// Letters map to keypad digits.
	{"1-800-FLOWERS", "US", Number{E164: "+18003569377", Region: "US"}},
	{"1 800 flowers", "US", Number{E164: "+18003569377", Region: "US"}},
	{"+1-800-MY-APPLE", "US", Number{E164: "+18006927753", Region: "US"}},

	// Non-NANP.
	{"020 7946 0958", "GB", Number{E164: "+442079460958", Region: "GB"}},
	{"020 7946 0958", "gb", Number{E164: "+442079460958", Region: "GB"}},
	{"+44 20 7946 0958", "US", Number{E164: "+442079460958", Region: "GB"}},
	{"+44 (0) 20 7946 0958", "US", Number{E164: "+442079460958", Region: "GB"}},
	{"011 44 20 7946 0958", "US", Number{E164: "+442079460958", Region: "GB"}},
	{"00 44 20 7946 0958", "GB", Number{E164: "+442079460958", Region: "GB"}},
	{"0044 20 7946 0958", "gb", Number{E164: "+442079460958", Region: "GB"}},
	{"+49 151 23456789", "US", Number{E164: "+4915123456789", Region: "DE"}},
	{"0151 23456789", "DE", Number{E164: "+4915123456789", Region: "DE"}},
	{"+33 6 12 34 56 78", "US", Number{E164: "+33612345678", Region: "FR"}},
	{"06 12 34 56 78", "FR", Number{E164: "+33612345678", Region: "FR"}},
	{"+91 98765 43210", "US", Number{E164: "+919876543210", Region: "IN"}},
	{"098765 43210", "IN", Number{E164: "+919876543210", Region: "IN"}},
	{"+61 412 345 678", "US", Number{E164: "+61412345678", Region: "AU"}},
	{"0412 345 678", "AU", Number{E164: "+61412345678", Region: "AU"}},
	{"+55 11 91234 5678", "US", Number{E164: "+5511912345678", Region: "BR"}},
	{"(11) 91234-5678", "BR", Number{E164: "+5511912345678", Region: "BR"}},
	{"+7 912 345-67-89", "US", Number{E164: "+79123456789", Region: "RU"}},
	{"8 912 345-67-89", "RU", Number{E164: "+79123456789", Region: "RU"}},
	// Argentine mobiles: national "15" becomes the international "9".
	{"011 15-2345-6789", "AR", Number{E164: "+5491123456789", Region: "AR"}},
	{"+54 9 11 2345-6789", "US", Number{E164: "+5491123456789", Region: "AR"}},
	// Italian numbers keep their leading zero in E.164.
	{"+39 06 1234 5678", "US", Number{E164: "+390612345678", Region: "IT"}},
	{"06 1234 5678", "IT", Number{E164: "+390612345678", Region: "IT"}},
	// Gabon's metadata has both 7-digit and 8-digit numbers; national
	// input with a leading 0 reads as the 8-digit one, as it should.
	{"06 79 30 80", "GA", Number{E164: "+24106793080", Region: "GA"}},
	// Non-geographic: international freephone.
	{"+800 1234 5678", "US", Number{E164: "+80012345678", Region: ""}},

	// Canada and the Caribbean share +1 but are other regions.
	{"+1 416 979 0123", "US", Number{E164: "+14169790123", Region: "CA"}},
	{"(416) 979-0123", "US", Number{E164: "+14169790123", Region: "CA"}},
	{"416-979-0123", "CA", Number{E164: "+14169790123", Region: "CA"}},
	{"+1 876 927 1234", "US", Number{E164: "+18769271234", Region: "JM"}},
	{"876-927-1234", "US", Number{E164: "+18769271234", Region: "JM"}},
}

func TestParseOK(t *testing.T) {
	for _, tc := range okCases {
		got, err := Parse(tc.raw, tc.region)
		if err != nil {
			t.Errorf("Parse(%q, %q) error: %v", tc.raw, tc.region, err)
			continue
		}
		if got != tc.want {
			t.Errorf("Parse(%q, %q) = %+v, want %+v", tc.raw, tc.region, got, tc.want)
		}
	}
}

type badCase struct {
	raw, region string
	reason      Reason
	err         error // if set, errors.Is must hold
}

var badCases = []badCase{
	{"", "US", ReasonEmpty, nil},
	{"   \t\n", "US", ReasonEmpty, nil},
	{"abc", "US", ReasonNotANumber, phonenumbers.ErrNotANumber},
	{"-", "US", ReasonNotANumber, phonenumbers.ErrNotANumber},
	{"415-555-2671!", "US", ReasonNotANumber, phonenumbers.ErrNotANumber},
	{"Order #12: 415-555-2671", "US", ReasonNotANumber, phonenumbers.ErrNotANumber},
	{"+14155552671 +14155552672", "US", ReasonNotANumber, phonenumbers.ErrNotANumber},
	{"tel:4155552671;phone-context=", "US", ReasonNotANumber, phonenumbers.ErrNotANumber},
	{"\xff4155552671", "US", ReasonNotANumber, errInvalidUTF8},
	{"४१५५५५२६७१", "US", ReasonNotANumber, errUnsupportedDigits}, // Devanagari
	{"12", "US", ReasonTooShort, nil},
	{"555-0100", "US", ReasonTooShort, nil},
	{"+1 415 555 267", "US", ReasonTooShort, nil},
	{"+44 20", "US", ReasonTooShort, nil},
	{"+1 200 555 0100", "US", ReasonInvalid, nil}, // 200 is not an assigned area code
	{"+1 415 555 26711", "US", ReasonTooLong, nil},
	{"+999 1234", "US", ReasonInvalidCountry, phonenumbers.ErrInvalidCountryCode},
	{"+0 415 555 2671", "US", ReasonInvalidCountry, phonenumbers.ErrInvalidCountryCode},
	{strings.Repeat("4", 300), "US", ReasonTooLong, phonenumbers.ErrNumTooLong},
	{strings.Repeat("4", 251), "US", ReasonTooLong, phonenumbers.ErrNumTooLong},
	{"+1 " + strings.Repeat("5", 30), "US", ReasonTooLong, phonenumbers.ErrNumTooLong},
	// "00" is not the US international prefix, so this is a US number.
	{"00 44 20 7946 0958", "US", ReasonTooLong, nil},
	// 3+ letters are read as digits, so annotations make numbers too long
	// rather than being dropped.
	{"4155552671 (home)", "US", ReasonTooLong, nil},
	// Several numbers in one field: taking one would drop the others.
	{"415 555 2671 / 415 555 2672", "US", ReasonSeveralNumbers, errSeveralNumbers},
	{"4155550503;4155550504", "US", ReasonSeveralNumbers, errSeveralNumbers}, // the library's "extension"
	{"4155550503,4155550504", "US", ReasonSeveralNumbers, errSeveralNumbers},
	{"415 555 0503 or 415 555 0504", "US", ReasonSeveralNumbers, errSeveralNumbers},
	{"+1 415 555 0503 and +44 20 7946 0958", "US", ReasonSeveralNumbers, errSeveralNumbers},
	{"4155550503|4155550504", "US", ReasonSeveralNumbers, errSeveralNumbers},
	{"4155550503\n4155550504", "US", ReasonSeveralNumbers, errSeveralNumbers},
	// The library would drop the ５ because it only keeps ASCII digits when
	// converting letters, giving +18003569377.
	{"1-800-FLOWERS５", "US", ReasonTooLong, nil},
	// Valid per metadata, but not E.164: 17 digits and 6 digits.
	{"+49 30 1234567890123", "US", ReasonTooLong, errE164Length},
	{"+98 9601", "US", ReasonTooShort, errE164Length},
	// Ambiguous extensions in variable-length plans: +49301234 ext. 5678
	// or +493012345678? Both are valid, so refuse to pick.
	{"+49 30 1234,5678", "US", ReasonInvalid, errAmbiguousExtension},
	{"030 1234 ext. 5678", "DE", ReasonInvalid, errAmbiguousExtension},
	// Valid per metadata, but the library cannot parse the E.164 form back
	// (it strips the 8 as a national prefix), so it cannot be stored.
	{"8 810 543 8076", "BY", ReasonInvalid, errNoRoundTrip},
	{"+375 810 543 8076", "US", ReasonInvalid, nil},
	// Region checks happen before the input is looked at.
	{"4155552671", "ZZ", ReasonBadRegion, nil},
	{"4155552671", "XX", ReasonBadRegion, nil},
	{"+14155552671", "XX", ReasonBadRegion, nil},
	{"4155552671", "001", ReasonBadRegion, nil},
	{"4155552671", "USA", ReasonBadRegion, nil},
	{"4155552671", "u", ReasonBadRegion, nil},
	{"4155552671", "uſ", ReasonBadRegion, nil}, // strings.ToUpper would make this "US"
	{"", "XX", ReasonBadRegion, nil},
}

func TestParseRejects(t *testing.T) {
	for _, tc := range badCases {
		got, err := Parse(tc.raw, tc.region)
		var perr *Error
		if !errors.As(err, &perr) {
			t.Errorf("Parse(%q, %q) = %+v, %v; want *Error %s", tc.raw, tc.region, got, err, tc.reason)
			continue
		}
		if got != (Number{}) {
			t.Errorf("Parse(%q, %q) returned %+v with an error", tc.raw, tc.region, got)
		}
		if perr.Reason != tc.reason {
			t.Errorf("Parse(%q, %q) reason = %s, want %s (err %v)", tc.raw, tc.region, perr.Reason, tc.reason, perr.Err)
		}
		if tc.err != nil && !errors.Is(err, tc.err) {
			t.Errorf("Parse(%q, %q) error %v does not wrap %v", tc.raw, tc.region, perr.Err, tc.err)
		}
		if perr.Raw != tc.raw {
			t.Errorf("Parse(%q, %q) Error.Raw = %q", tc.raw, tc.region, perr.Raw)
		}
	}
}

func TestErrorIsLogSafe(t *testing.T) {
	for _, tc := range badCases {
		_, err := Parse(tc.raw, tc.region)
		msg := err.Error()
		if strings.ContainsAny(msg, "0123456789") {
			t.Errorf("Parse(%q, %q) error message %q contains digits", tc.raw, tc.region, msg)
		}
		if !strings.HasPrefix(msg, "phone: ") || !strings.HasSuffix(msg, "("+string(tc.reason)+")") {
			t.Errorf("Parse(%q, %q) error message %q", tc.raw, tc.region, msg)
		}
	}
	err := &Error{Raw: "12", Region: "US", Reason: ReasonTooShort}
	if got, want := err.Error(), "phone: not a valid number (too_short)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestErrorRegion(t *testing.T) {
	for _, tc := range []struct{ region, want string }{
		{"", "US"},
		{"gb", "GB"},
		{"xx", "XX"},
		{"USA", "USA"},
	} {
		_, err := Parse("12", tc.region)
		var perr *Error
		if !errors.As(err, &perr) || perr.Region != tc.want {
			t.Errorf("Parse(_, %q) error region = %v, want %q", tc.region, err, tc.want)
		}
	}
}

func TestValidRegion(t *testing.T) {
	for _, tc := range []struct {
		region string
		want   bool
	}{
		{"US", true},
		{"us", true},
		{"Gb", true},
		{"CA", true},
		{"JM", true},
		{"DE", true},
		{"", false},
		{"ZZ", false},
		{"XX", false},
		{"001", false},
		{"USA", false},
		{"U", false},
		{"uſ", false},
		{" US", false},
	} {
		if got := ValidRegion(tc.region); got != tc.want {
			t.Errorf("ValidRegion(%q) = %v, want %v", tc.region, got, tc.want)
		}
	}
}

func TestDigits(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"+14155552671", "4155552671"},
		{"+18003569377", "8003569377"},
		{"+14169790123", "4169790123"},
		{"+442079460958", "442079460958"},
		{"+390612345678", "390612345678"},
		{"+80012345678", "80012345678"},
		{"+1415555267", "1415555267"},     // not 11 digits: not NANP-shaped
		{"+141555526711", "141555526711"}, // idem
		{"", ""},
		{"+", ""},
		{"14155552671", ""},
		{"+1 415 555 2671", ""},
		{"+0123", ""},
		{"+1415555267x", ""},
	} {
		if got := Digits(tc.in); got != tc.want {
			t.Errorf("Digits(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
