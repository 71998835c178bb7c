package phone

import (
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// canonicalInputs are '+' and digits around every region's valid numbers: each region's example
// numbers, with digits changed, added and dropped, and random digits after each calling code.
func canonicalInputs(r *rand.Rand) []string {
	var out []string
	for _, region := range slices.Sorted(maps.Keys(phonenumbers.GetSupportedRegions())) {
		for _, typ := range []phonenumbers.PhoneNumberType{phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.TOLL_FREE} {
			ex := phonenumbers.GetExampleNumberForType(region, typ)
			if ex == nil {
				continue
			}
			e := phonenumbers.Format(ex, phonenumbers.E164)
			out = append(out, e)
			for range 20 {
				b := []byte(e)
				switch i := 2 + r.IntN(len(b)-2); r.IntN(4) {
				case 0, 1:
					b[i] = byte('0' + r.IntN(10))
				case 2:
					b = append(b[:i], append([]byte{byte('0' + r.IntN(10))}, b[i:]...)...)
				case 3:
					b = append(b[:i], b[i+1:]...)
				}
				out = append(out, string(b))
			}
		}
		cc := phonenumbers.GetCountryCodeForRegion(region)
		for range 10 {
			s := "+" + strconv.Itoa(cc)
			for range 4 + r.IntN(12) {
				s += strconv.Itoa(r.IntN(10))
			}
			out = append(out, s)
		}
	}
	return out
}

// Wherever the canonical fast path answers, the library's full parse answers the same, from any
// default region; and Parse's answer to canonical input is the full parse's.
func TestCanonicalSameAsLibrary(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	inputs := canonicalInputs(r)
	answered := 0
	for _, s := range inputs {
		fast, ok := parseCanonical(s)
		region := reparseRegions[r.IntN(len(reparseRegions))]
		slow, reason, err := parseLibrary(s, region)
		if ok {
			answered++
			if reason != "" || fast != slow {
				t.Fatalf("parseCanonical(%q) = %+v, the library from %s: %+v %q %v", s, fast, region, slow, reason, err)
			}
		}
		got, gotErr := Parse(s, region)
		if (gotErr == nil) != (reason == "") || gotErr == nil && got != slow {
			t.Fatalf("Parse(%q, %s) = %+v %v, the library: %+v %q %v", s, region, got, gotErr, slow, reason, err)
		}
	}
	// Precondition: the inputs exercise the fast path and the fallback both.
	if answered < len(inputs)/5 || answered > len(inputs)*9/10 {
		t.Fatalf("the fast path answered %d of %d inputs: want a share of both kinds", answered, len(inputs))
	}
	t.Logf("%d inputs, %d answered by the fast path", len(inputs), answered)
}

func TestCanonicalShape(t *testing.T) {
	for s, want := range map[string]bool{"+14155552671": true, "+4420794609": true, "+1415555": true,
		"+141555": false, "14155552671": false, "+1 4155552671": false, "+14155552671 ": false, "+04155552671": false,
		"+1415555267x": false, "+1234567890123456": false, "+123456789012345": true, "+١٤١٥٥٥٥٢٦٧١": false} {
		if got := canonical(s); got != want {
			t.Errorf("canonical(%q) = %v, want %v", s, got, want)
		}
	}
}
