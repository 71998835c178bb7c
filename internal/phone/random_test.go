package phone

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// TestRandomValidNumbers builds random numbers the metadata calls valid,
// in every region, writes each the ways people write it, and checks Parse
// either rejects the text or returns exactly that number. A different
// valid number would be a mangled opt-out. (This is how the Belarusian
// round-trip case in badCases was found; the fuzzer did not find it.)
func TestRandomValidNumbers(t *testing.T) {
	// 100 per region keeps this near 1s (~15s under -race); raise it
	// locally when touching parsing. 40000 found nothing beyond badCases.
	perRegion := 100
	if testing.Short() {
		perRegion = 30
	}
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	valid, rejected := 0, 0
	for _, md := range coll.GetMetadata() {
		lengths := md.GetGeneralDesc().GetPossibleLength()
		for range perRegion {
			num, ok := randomValid(rng, md.GetCountryCode(), md.GetNationalPrefix(), lengths)
			if !ok {
				continue
			}
			want := phonenumbers.Format(num, phonenumbers.E164)
			if d := len(want) - 1; d < minDigits || d > maxDigits {
				continue
			}
			valid++
			region := phonenumbers.GetRegionCodeForNumber(num)
			forms := []struct{ text, region string }{
				{want, "US"},
				{phonenumbers.Format(num, phonenumbers.INTERNATIONAL), "US"},
				{phonenumbers.FormatOutOfCountryCallingNumber(num, "US"), "US"},
				{phonenumbers.FormatOutOfCountryCallingNumber(num, "DE"), "DE"},
			}
			// Gabon: the national form of an old 7-digit number ("06 79
			// 30 80") is also a new 8-digit number; see okCases.
			if region != phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY && region != "GA" {
				forms = append(forms, struct{ text, region string }{phonenumbers.Format(num, phonenumbers.NATIONAL), region})
			}
			for _, f := range forms {
				got, err := Parse(f.text, f.region)
				if err != nil {
					rejected++
					continue
				}
				if got.E164 != want {
					t.Errorf("Parse(%q, %q) = %s, want %s", f.text, f.region, got.E164, want)
				}
			}
		}
	}
	t.Logf("%d valid numbers, %d forms rejected", valid, rejected)
	if valid < 100 {
		t.Fatalf("only %d valid numbers generated", valid)
	}
}

// randomValid returns a random number of a possible length that the
// metadata calls valid. Half start with the national prefix, since that
// is where the library's prefix stripping can go wrong.
func randomValid(rng *rand.Rand, cc int32, nationalPrefix string, lengths []int32) (*phonenumbers.PhoneNumber, bool) {
	l := int(lengths[rng.IntN(len(lengths))])
	if l <= 0 {
		return nil, false
	}
	var b strings.Builder
	if nationalPrefix != "" && rng.IntN(2) == 0 {
		b.WriteString(nationalPrefix)
	}
	for b.Len() < l {
		b.WriteByte(byte('0' + rng.IntN(10)))
	}
	nsn := b.String()[:l]
	v, err := strconv.ParseUint(nsn, 10, 64)
	if err != nil {
		return nil, false
	}
	num := &phonenumbers.PhoneNumber{CountryCode: &cc, NationalNumber: &v}
	if nsn[0] == '0' {
		// Leading zeros are not part of the integer (Italy and others).
		zeros := int32(len(nsn) - len(strings.TrimLeft(nsn[:l-1], "0")) - 1)
		yes := true
		num.ItalianLeadingZero = &yes
		if zeros > 1 {
			num.NumberOfLeadingZeros = &zeros
		}
	}
	if phonenumbers.GetNationalSignificantNumber(num) != nsn || !phonenumbers.IsValidNumber(num) {
		return nil, false
	}
	return num, true
}

// TestRoundTripSkipIsSound: wherever mayStripPrefix says the library cannot strip a national
// prefix from an E.164 string, parsing that string really gives it back.
func TestRoundTripSkipIsSound(t *testing.T) {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	skipped, checked := 0, 0
	for _, md := range coll.GetMetadata() {
		for range 200 {
			num, ok := randomValid(rng, md.GetCountryCode(), md.GetNationalPrefix(), md.GetGeneralDesc().GetPossibleLength())
			if !ok {
				continue
			}
			e164 := phonenumbers.Format(num, phonenumbers.E164)
			checked++
			if mayStripPrefix(num.GetCountryCode(), e164) {
				continue
			}
			skipped++
			if !roundTrips(e164) {
				t.Errorf("%s: the round trip was skipped, but it does not parse back to itself", e164)
			}
		}
	}
	t.Logf("%d valid numbers, %d skip the round trip", checked, skipped)
	if skipped < checked/2 {
		t.Fatalf("only %d of %d numbers skip the round trip", skipped, checked)
	}
}
