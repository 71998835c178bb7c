package phone

import (
	"slices"
	"strconv"
	"strings"
	"sync"

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
	if len(s) < 2 || len(s) > maxInputLen || s[0] != '+' {
		return Number{}, false
	}
	var b [maxDigits + 1]byte
	b[0] = '+'
	n, ok := plainDigits(s[1:], b[1:])
	if !ok {
		return Number{}, false
	}
	e164 := string(b[:1+n])
	if n < minDigits || !isE164Shape(e164) {
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
		region, valid := validRegion(num)
		// The library's E.164 format is "+", the calling code and the national significant number
		// (leading zeros kept): equal to the input exactly when that number is nsn as given.
		if !valid || nationalSignificant(num) != nsn {
			return Number{}, false
		}
		return Number{E164: e164, Region: geoRegion(region)}, true
	}
	return Number{}, false
}

// plainDigits copies the digits of s into b and returns how many, when s holds only digits and
// the separators people type between them (spaces, dashes, dots, slashes, parentheses) and its
// digits fit in b; ok is false otherwise.
func plainDigits(s string, b []byte) (n int, ok bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if n == len(b) {
				return 0, false
			}
			b[n] = c
			n++
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/':
		default:
			return 0, false
		}
	}
	return n, true
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

// National numbers in the default region ("(415) 555-2671", "020 7946 0958") get the same treatment
// where the region's national prefix is a plain digit string (or none) and the library's rule for
// spotting it is that string itself: then the digits, with the prefix taken off when they start
// with it, are the national number exactly when the library's national format of that number
// gives back the digits sent. Anything else goes to the full parse.

// regionPlan is what the national fast path needs of a region's metadata.
type regionPlan struct {
	cc       int32
	prefixes []string // what the library strips as a national prefix, in its order; none: nothing
}

var regionPlans = sync.OnceValue(func() map[string]regionPlan {
	out := map[string]regionPlan{}
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return out
	}
	for _, md := range coll.GetMetadata() {
		// The rule for spotting a prefix, when it is a choice of plain digit strings ("0",
		// "0|180020"), is those strings, tried in order as regexp alternatives are.
		npfp := md.GetNationalPrefixForParsing()
		if npfp == "" {
			npfp = md.GetNationalPrefix()
		}
		var prefixes []string
		if npfp != "" {
			prefixes = strings.Split(npfp, "|")
		}
		if md.GetNationalPrefixTransformRule() != "" ||
			slices.ContainsFunc(prefixes, func(p string) bool { return p == "" || !allDigits(p) }) {
			continue
		}
		out[md.GetId()] = regionPlan{cc: md.GetCountryCode(), prefixes: prefixes}
	}
	return out
})

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseFastNational reads s, digits with only spaces, dashes, dots, slashes and parentheses, as a
// national number of region.
func parseFastNational(s, region string) (Number, bool) {
	plan, ok := regionPlans()[region]
	if !ok || len(s) > maxInputLen {
		return Number{}, false // the library refuses input over its length cap, whatever it holds
	}
	var b [maxDigits + 3]byte
	n, ok := plainDigits(s, b[:])
	if !ok {
		return Number{}, false
	}
	digits := string(b[:n])
	nsn := digits
	for _, p := range plan.prefixes {
		if strings.HasPrefix(nsn, p) {
			nsn = nsn[len(p):]
			break
		}
	}
	if len(nsn) < 2 {
		return Number{}, false
	}
	num, ok := phoneNumber(plan.cc, nsn)
	if !ok {
		return Number{}, false
	}
	numRegion, valid := validRegion(num)
	if !valid {
		return Number{}, false
	}
	if onlyDigits(phonenumbers.Format(num, phonenumbers.NATIONAL)) != digits {
		return Number{}, false
	}
	e164 := phonenumbers.Format(num, phonenumbers.E164)
	if d := len(e164) - 1; d < minDigits || d > maxDigits || !isE164Shape(e164) || mayStripPrefix(plan.cc, e164) {
		return Number{}, false
	}
	return Number{E164: e164, Region: geoRegion(numRegion)}, true
}

func onlyDigits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
