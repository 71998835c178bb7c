package phone

import (
	"errors"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

var knownReasons = map[Reason]bool{
	ReasonEmpty: true, ReasonNotANumber: true, ReasonInvalidCountry: true, ReasonTooShort: true,
	ReasonTooLong: true, ReasonInvalid: true, ReasonBadRegion: true, ReasonSeveralNumbers: true,
}

// reparseRegions are the regions an E.164 result is parsed again with: the
// answer must not depend on the default region once there is a '+'.
var reparseRegions = []string{"US", "GB", "DE", "IT", "BR", "JP"}

func FuzzParse(f *testing.F) {
	for _, tc := range okCases {
		f.Add(tc.raw, tc.region)
	}
	for _, tc := range badCases {
		f.Add(tc.raw, tc.region)
	}
	f.Fuzz(func(t *testing.T, raw, region string) {
		// The fast paths must answer as the library's full parse does, wherever they answer.
		s := strings.TrimSpace(raw)
		if fast, ok := parseFast(s); ok {
			num, err := phonenumbers.Parse(s, "US")
			if err != nil || phonenumbers.Format(num, phonenumbers.E164) != fast.E164 || !phonenumbers.IsValidNumber(num) {
				t.Fatalf("parseFast(%q) = %+v, the library reads %v (%v)", raw, fast, num, err)
			}
		}
		if fast, ok := parseCanonical(raw); ok {
			if slow, reason, err := parseLibrary(raw, "US"); reason != "" || slow != fast {
				t.Fatalf("parseCanonical(%q) = %+v, the library reads %+v %q %v", raw, fast, slow, reason, err)
			}
		}
		if r, ok := canonicalRegion(region); ok {
			// Validity on compiled patterns (valid.go) answers as the library does.
			if num, err := phonenumbers.Parse(s, r); err == nil {
				wantRegion := phonenumbers.GetRegionCodeForNumber(num)
				wantValid := wantRegion != "" && phonenumbers.IsValidNumberForRegion(num, wantRegion)
				if got, valid := validRegion(num); got != wantRegion || valid != wantValid {
					t.Fatalf("validRegion(%q in %s) = %q %v, the library: %q %v", raw, r, got, valid, wantRegion, wantValid)
				}
			}
			if fast, ok := parseFastNational(s, r); ok {
				num, err := phonenumbers.Parse(s, r)
				if err != nil || phonenumbers.Format(num, phonenumbers.E164) != fast.E164 || !phonenumbers.IsValidNumber(num) {
					t.Fatalf("parseFastNational(%q, %q) = %+v, the library reads %v (%v)", raw, r, fast, num, err)
				}
			}
		}
		n, err := Parse(raw, region)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) || !knownReasons[perr.Reason] {
				t.Fatalf("Parse(%q, %q) error %v (%T) is not an *Error with a known reason", raw, region, err, err)
			}
			return
		}
		if !isE164Shape(n.E164) || len(n.E164) < 8 || len(n.E164) > 16 {
			t.Fatalf("Parse(%q, %q) E164 = %q", raw, region, n.E164)
		}
		if n.Region != "" && !ValidRegion(n.Region) {
			t.Fatalf("Parse(%q, %q) Region = %q", raw, region, n.Region)
		}
		for _, c := range []byte(n.Extension) {
			if c < '0' || c > '9' {
				t.Fatalf("Parse(%q, %q) Extension = %q", raw, region, n.Extension)
			}
		}
		for _, r := range reparseRegions {
			again, err := Parse(n.E164, r)
			if err != nil || again != (Number{E164: n.E164, Region: n.Region}) {
				t.Fatalf("Parse(%q, %q) = %+v, but Parse(%q, %q) = %+v, %v", raw, region, n, n.E164, r, again, err)
			}
		}
	})
}
