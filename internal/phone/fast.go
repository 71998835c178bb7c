package phone

import (
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Most senders send international numbers: "+14155552671", "+1 415 555 2671", "+44 20 7946 0958".
// For those the library's parse is mostly work that does not apply (finding the number in text,
// extensions, international and national prefixes, letters), about half of Parse's time. parseFast
// reads them directly and hands the library only what it must judge: validity and the region.
// It answers only when certain: a number that is valid and whose E.164 form is exactly the digits
// given; anything else (a national prefix the library could strip, "(0)", letters, an extension,
// an invalid number) goes to the full parse, which decides as before. FuzzParse holds the two
// equal on every input the fast path takes.

// parseFast returns the number when s is '+' and digits with only spaces, dashes, dots, slashes
// and parentheses between them, and those digits are a valid number as they stand.
func parseFast(s string) (Number, bool) {
	if len(s) < 2 || s[0] != '+' {
		return Number{}, false
	}
	var b [maxDigits + 1]byte
	b[0] = '+'
	n := 1
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if n == len(b) {
				return Number{}, false
			}
			b[n] = c
			n++
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/':
		default:
			return Number{}, false
		}
	}
	e164 := string(b[:n])
	if digits := n - 1; digits < minDigits || !isE164Shape(e164) {
		return Number{}, false
	}
	// Calling codes are prefix-free and 1 to 3 digits long, as the library reads them.
	for l := 1; l <= 3; l++ {
		cc, _ := strconv.Atoi(e164[1 : 1+l])
		if phonenumbers.GetRegionCodeForCountryCode(cc) == phonenumbers.UNKNOWN_REGION {
			continue
		}
		nsn := e164[1+l:]
		if len(nsn) < 2 || mayStripPrefix(int32(cc), e164) {
			return Number{}, false
		}
		num, ok := phoneNumber(int32(cc), nsn)
		if !ok {
			return Number{}, false
		}
		region := phonenumbers.GetRegionCodeForNumber(num)
		if !phonenumbers.IsValidNumberForRegion(num, region) || phonenumbers.Format(num, phonenumbers.E164) != e164 {
			return Number{}, false
		}
		return Number{E164: e164, Region: geoRegion(region)}, true
	}
	return Number{}, false
}

// phoneNumber builds the library's number for calling code cc and national significant number nsn,
// leading zeros kept as the library keeps them (Italy and others).
func phoneNumber(cc int32, nsn string) (*phonenumbers.PhoneNumber, bool) {
	v, err := strconv.ParseUint(nsn, 10, 64)
	if err != nil {
		return nil, false
	}
	num := &phonenumbers.PhoneNumber{CountryCode: &cc, NationalNumber: &v}
	if len(nsn) > 1 && nsn[0] == '0' {
		yes := true
		num.ItalianLeadingZero = &yes
		if zeros := int32(len(nsn) - len(strings.TrimLeft(nsn[:len(nsn)-1], "0"))); zeros > 1 {
			num.NumberOfLeadingZeros = &zeros
		}
	}
	return num, true
}
