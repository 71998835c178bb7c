// Package phone normalizes phone numbers to E.164.
//
// It is the only package that imports libphonenumber
// (github.com/nyaruka/phonenumbers). A mangled number is the costliest bug
// dncsync can have: an opt-out stored under the wrong number blocks someone
// else and leaves the real person callable. Keeping every call into the
// library behind this small API means its quirks are handled, and tested,
// in one place, and everything else only ever sees E.164 strings.
//
// The library loads its metadata in its package init and guards its regexp
// cache with a mutex, so all functions here are safe for concurrent use and
// there is no lazy first-call initialization to race on.
package phone

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// Number is a normalized phone number.
type Number struct {
	E164      string // "+14155552671", never an extension
	Region    string // ISO 3166-1 alpha-2 region of the number ("US", "CA", "GB"); "" if non-geographic
	Extension string // extension digits ("123"), dropped from E164 but kept here; ASCII digits only
}

const (
	fallbackRegion = "US" // used when Parse gets region ""

	// maxInputLen is the library's own cap (it counts bytes). Checking it
	// first keeps oversized input away from the regexp engine entirely.
	maxInputLen = phonenumbers.MAX_INPUT_STRING_LENGTH

	// E.164 allows at most 15 digits; 7 is the shortest ordinary number
	// (Niue's +683 4002 and the like). The metadata accepts longer numbers
	// (German direct-dial numbers, up to 17 digits) and shorter ones
	// (Iranian 4-digit service numbers, 6 with the country code); neither
	// is something we can store and match as an E.164 opt-out.
	minDigits = 7
	maxDigits = 15
)

var (
	errInvalidUTF8        = errors.New("input is not valid UTF-8")
	errUnsupportedDigits  = errors.New("input has digits from a script the library cannot parse")
	errAmbiguousExtension = errors.New("extension digits could also be part of the number")
	errNotE164            = errors.New("library produced a malformed E.164 string")
	errNoRoundTrip        = errors.New("E.164 form does not parse back to the same number")
	errE164Length         = errors.New("valid per metadata, but not 7 to 15 digits as E.164 requires")
	errSeveralNumbers     = errors.New("input holds more than one number")
)

// Parse normalizes raw, a number in any human format, to E.164.
//
// defaultRegion (case-insensitive, "" means "US") decides the country of
// numbers written without a leading '+' or an international dialling
// prefix valid in that region ("011" for US, "00" for GB). It must be a
// supported region even when raw starts with '+', so that a misconfigured
// region fails loudly instead of only for some inputs.
//
// Letters map to keypad digits as libphonenumber does ("1-800-FLOWERS").
// An extension ("x123", "ext. 123", ";ext=123") is kept in Extension, but
// only when its digits could not also be read as part of one longer valid
// number: in variable-length numbering plans "030 1234,5678" is either
// +49301234 ext. 5678 or +493012345678, and guessing wrong would mangle the
// number, so such input is rejected as ReasonInvalid.
//
// Only numbers the metadata considers valid, with 7 to 15 digits, and
// whose E.164 form parses back to itself are accepted. Surrounding
// whitespace is ignored; input over 250 bytes is rejected as too long
// without being parsed. Every rejection is an *Error.
func Parse(raw, defaultRegion string) (Number, error) {
	region, ok := canonicalRegion(defaultRegion)
	if !ok {
		return Number{}, &Error{Raw: raw, Region: region, Reason: ReasonBadRegion}
	}
	if n, ok := parseCanonical(raw); ok {
		return n, nil // E.164 as it stands: the region does not matter once there is a '+'
	}
	k, shard, cacheable := cacheKey(raw, region)
	a, hit := answer{}, false
	if cacheable {
		a, hit = shard.get(k)
	}
	if !hit {
		a.n, a.reason, a.err = parse(raw, region)
		if cacheable {
			shard.put(k, a)
		}
	}
	if a.reason != "" {
		return Number{}, &Error{Raw: raw, Region: region, Reason: a.reason, Err: a.err}
	}
	return a.n, nil
}

// parse returns a non-empty reason on rejection.
func parse(raw, region string) (Number, Reason, error) {
	if len(raw) > maxInputLen {
		return Number{}, ReasonTooLong, phonenumbers.ErrNumTooLong
	}
	// The library tolerates leading junk but not a trailing tab or CR,
	// which CSV and form input often carry.
	s := strings.TrimSpace(raw)
	if s == "" {
		return Number{}, ReasonEmpty, nil
	}
	if !utf8.ValidString(s) {
		return Number{}, ReasonNotANumber, errInvalidUTF8
	}
	s, ok := asciiDigits(s)
	if !ok {
		return Number{}, ReasonNotANumber, errUnsupportedDigits
	}
	n, reason, err := parseASCII(s, region)
	switch {
	case reason == "" && n.Extension != "" && extensionIsNumber(n.Extension, region):
		// "4155550100;4155550101" parses as one number with the other as its "extension".
		return Number{}, ReasonSeveralNumbers, errSeveralNumbers
	case reason != "" && severalNumbers(s, region):
		return Number{}, ReasonSeveralNumbers, errSeveralNumbers
	}
	return n, reason, err
}

// maxExtensionLen is the longest extension taken as one: PBX extensions are short, and seven or
// more digits are a phone number of their own as likely as an extension.
const maxExtensionLen = 6

// extensionIsNumber reports whether the "extension" the library found is rather a second number.
func extensionIsNumber(ext, region string) bool {
	if len(ext) > maxExtensionLen {
		return true
	}
	_, reason, _ := parseASCII(ext, region)
	return reason == ""
}

// numberSeparators split a field that lists numbers. Only separators that never occur inside one
// written number: a "/" does ("030/1234567"), so it counts only when both sides are numbers.
var numberSeparators = strings.NewReplacer(";", "\x00", ",", "\x00", "|", "\x00", "&", "\x00", "\n", "\x00",
	"\r", "\x00", "\t", "\x00", " or ", "\x00", " and ", "\x00", " OR ", "\x00", " AND ", "\x00", "/", "\x00")

// severalNumbers reports whether s, which did not parse as one number, lists at least two valid
// ones. It runs only on input already rejected, so its extra parses cost nothing on the common path.
func severalNumbers(s, region string) bool {
	parts := strings.Split(numberSeparators.Replace(s), "\x00")
	if len(parts) < 2 || len(parts) > 16 {
		return false
	}
	valid := 0
	for _, p := range parts {
		if strings.TrimSpace(p) == "" {
			continue
		}
		if _, reason, _ := parseASCII(strings.TrimSpace(p), region); reason == "" {
			valid++
		}
	}
	return valid >= 2
}

// parseASCII holds every call into the library, so that a panic in it
// (none is known for this version, but the code is a port with many index
// expressions) becomes a rejection instead of taking the process down.
func parseASCII(s, region string) (n Number, reason Reason, err error) {
	defer func() {
		if r := recover(); r != nil {
			n, reason, err = Number{}, ReasonNotANumber, fmt.Errorf("phonenumbers panicked: %v", r)
		}
	}()

	if n, ok := parseFast(s); ok {
		return n, "", nil
	}
	if n, ok := parseFastNational(s, region); ok {
		return n, "", nil
	}
	return parseLibrary(s, region)
}

// parseLibrary is the full parse by the library, which the fast paths must agree with.
func parseLibrary(s, region string) (n Number, reason Reason, err error) {
	num, err := phonenumbers.Parse(s, region)
	if err != nil {
		return Number{}, parseErrorReason(err), err
	}
	// This is IsValidNumber unrolled: it computes the region too, which is
	// costly for +1 (it tries each NANP region), and we need the region.
	numRegion, valid := validRegion(num)
	if !valid {
		return Number{}, possibleReason(num), nil
	}
	e164 := phonenumbers.Format(num, phonenumbers.E164)
	if !isE164Shape(e164) {
		return Number{}, ReasonInvalid, errNotE164
	}
	switch digits := len(e164) - 1; {
	case digits < minDigits:
		return Number{}, ReasonTooShort, errE164Length
	case digits > maxDigits:
		return Number{}, ReasonTooLong, errE164Length
	}
	// Every E.164 we hand out must parse back to itself, or a later lookup
	// by that E.164 misses the opt-out. The library breaks this for e.g.
	// Belarusian "8 810 ..." numbers: it strips the 8 from "+375 810 ..."
	// as if it were the national prefix.
	if !sameDigits(s, e164) && mayStripPrefix(num.GetCountryCode(), e164) && !roundTrips(e164) {
		return Number{}, ReasonInvalid, errNoRoundTrip
	}
	ext := num.GetExtension()
	if ext != "" && validNumber(e164+ext) {
		return Number{}, ReasonInvalid, errAmbiguousExtension
	}
	return Number{E164: e164, Region: geoRegion(numRegion), Extension: ext}, "", nil
}

// parseErrorReason maps the library's sentinel errors; anything else
// (none is known) counts as not a number.
func parseErrorReason(err error) Reason {
	switch err {
	case phonenumbers.ErrInvalidCountryCode:
		return ReasonInvalidCountry
	case phonenumbers.ErrTooShortNSN, phonenumbers.ErrTooShortAfterIDD:
		return ReasonTooShort
	case phonenumbers.ErrNumTooLong:
		return ReasonTooLong
	}
	return ReasonNotANumber
}

// possibleReason explains why a parsed number is not valid. The library
// parses "12" and "415 555 267" without error, so length problems only
// show up here.
func possibleReason(num *phonenumbers.PhoneNumber) Reason {
	switch phonenumbers.IsPossibleNumberWithReason(num) {
	case phonenumbers.TOO_SHORT, phonenumbers.IS_POSSIBLE_LOCAL_ONLY:
		// Local-only means the area code is missing ("555-0100").
		return ReasonTooShort
	case phonenumbers.TOO_LONG:
		return ReasonTooLong
	case phonenumbers.INVALID_COUNTRY_CODE:
		return ReasonInvalidCountry
	}
	return ReasonInvalid
}

// validNumber reports whether e164 is a valid number. Only used for the
// extension ambiguity check, where any failure means "not ambiguous".
func validNumber(e164 string) bool {
	num, err := phonenumbers.Parse(e164, fallbackRegion)
	return err == nil && phonenumbers.IsValidNumber(num)
}

// sameDigits reports whether s is e164 with only spaces and punctuation added ("+1 415-555-2671"),
// so that parsing e164 again would read the same digits and the round trip can be skipped: it
// costs a second full parse, about half of Parse's time.
func sameDigits(s, e164 string) bool {
	i := 0
	for k := 0; k < len(s); k++ {
		c := s[k]
		switch {
		case c == '+' || (c >= '0' && c <= '9'):
			if i >= len(e164) || e164[i] != c {
				return false
			}
			i++
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/' || c == '\t':
		default:
			return false
		}
	}
	return i == len(e164)
}

// roundTrips reports whether e164 parses to exactly itself.
func roundTrips(e164 string) bool {
	num, err := phonenumbers.Parse(e164, fallbackRegion)
	return err == nil && phonenumbers.Format(num, phonenumbers.E164) == e164
}

// geoRegion maps the library's non-geographic "001" (and unknown "ZZ") to
// "".
func geoRegion(r string) string {
	if r == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY || r == phonenumbers.UNKNOWN_REGION {
		return ""
	}
	return r
}

// asciiDigits rewrites full-width and Arabic-Indic digits to ASCII and
// reports false for any other non-ASCII digit. The library keeps only
// ASCII digits when it converts letters ("1-800-FLOWERS٥" would silently
// lose the ٥) and turns digits of other scripts into a national number of
// 0, so normalizing here is the only way they cannot corrupt a number.
func asciiDigits(s string) (string, bool) {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return s, true
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf || !unicode.IsDigit(r):
			b.WriteRune(r)
		case r >= '\uFF10' && r <= '\uFF19': // full-width
			b.WriteByte(byte('0' + r - '\uFF10'))
		case r >= '\u0660' && r <= '\u0669': // Arabic-Indic
			b.WriteByte(byte('0' + r - '\u0660'))
		case r >= '\u06F0' && r <= '\u06F9': // extended Arabic-Indic (Persian, Urdu)
			b.WriteByte(byte('0' + r - '\u06F0'))
		default:
			return "", false
		}
	}
	return b.String(), true
}

// isE164Shape checks the library's output: a '+', then ASCII digits, the
// first of which is not 0 (no country code starts with 0).
func isE164Shape(s string) bool {
	if len(s) < 2 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// canonicalRegion upper-cases region (ASCII only: strings.ToUpper would
// turn "uſ" into "US") and reports whether the library supports it.
func canonicalRegion(region string) (string, bool) {
	if region == "" {
		return fallbackRegion, true
	}
	if len(region) != 2 {
		return region, false
	}
	b := []byte{asciiUpper(region[0]), asciiUpper(region[1])}
	up := string(b)
	// GetSupportedRegions returns the library's own map: read it, never
	// modify it.
	return up, phonenumbers.GetSupportedRegions()[up]
}

func asciiUpper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// ValidRegion reports whether region (case-insensitive) is a region the
// library supports, such as "US" or "gb". Unlike Parse, which treats ""
// as "US", ValidRegion("") is false: an empty setting is not a region.
// The non-geographic "001" is not a region either.
func ValidRegion(region string) bool {
	if region == "" {
		return false
	}
	_, ok := canonicalRegion(region)
	return ok
}

// Digits returns the digits of an E.164 number for APIs that want no '+':
// the 10 national digits for NANP ("+14155552671" -> "4155552671"), all
// digits after the '+' otherwise ("+442079460958" -> "442079460958").
// Anything that is not '+' followed by ASCII digits yields "" rather than
// a guess, since a wrong guess here would be a mangled number.
func Digits(e164 string) string {
	if !isE164Shape(e164) {
		return ""
	}
	d := e164[1:]
	if len(d) == 11 && d[0] == '1' {
		return d[1:]
	}
	return d
}
