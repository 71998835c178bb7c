package phone

import (
	"sort"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

var exampleTypes = []phonenumbers.PhoneNumberType{
	phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.TOLL_FREE,
	phonenumbers.PREMIUM_RATE, phonenumbers.SHARED_COST, phonenumbers.VOIP,
	phonenumbers.PERSONAL_NUMBER, phonenumbers.PAGER, phonenumbers.UAN,
	phonenumbers.VOICEMAIL,
}

// TestExampleNumbers formats the metadata's example number of every type in
// every region the ways people write them, and checks each reading parses
// back to the same E.164. This is where silent national-prefix or
// country-code stripping would show up as a mangled number.
func TestExampleNumbers(t *testing.T) {
	regions := make([]string, 0, len(phonenumbers.GetSupportedRegions()))
	for r := range phonenumbers.GetSupportedRegions() {
		regions = append(regions, r)
	}
	sort.Strings(regions)

	checked := 0
	for _, region := range regions {
		for _, typ := range exampleTypes {
			ex := phonenumbers.GetExampleNumberForType(region, typ)
			if ex == nil || !phonenumbers.IsValidNumber(ex) {
				continue
			}
			want := phonenumbers.Format(ex, phonenumbers.E164)
			if d := len(want) - 1; d < minDigits || d > maxDigits {
				continue // rejected by design; covered in badCases
			}
			wantRegion := phonenumbers.GetRegionCodeForNumber(ex)
			inputs := map[string]string{
				"e164":          want,
				"international": phonenumbers.Format(ex, phonenumbers.INTERNATIONAL),
				"rfc3966":       phonenumbers.Format(ex, phonenumbers.RFC3966),
				"national":      phonenumbers.Format(ex, phonenumbers.NATIONAL),
			}
			inputs["from US"] = phonenumbers.FormatOutOfCountryCallingNumber(ex, "US")
			inputs["from GB"] = phonenumbers.FormatOutOfCountryCallingNumber(ex, "GB")
			if region == "AR" && typ == phonenumbers.MOBILE {
				// The library formats this one as "09 15-2345-6789",
				// which it cannot read back (rejected, not mangled).
				// People write "011 15-2345-6789"; see okCases.
				delete(inputs, "national")
			}
			for form, in := range inputs {
				from := region
				switch form {
				case "from US":
					from = "US"
				case "from GB":
					from = "GB"
				}
				got, err := Parse(in, from)
				if err != nil {
					t.Errorf("%s %v %s: Parse(%q, %q): %v", region, typ, form, in, from, err)
					continue
				}
				if got.E164 != want || got.Region != wantRegion && wantRegion != phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY {
					t.Errorf("%s %v %s: Parse(%q, %q) = %+v, want %s %s", region, typ, form, in, from, got, want, wantRegion)
				}
				checked++
			}
		}
	}
	t.Logf("checked %d inputs", checked)
}
