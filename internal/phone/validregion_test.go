package phone

import (
	"math/rand/v2"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// TestValidRegionIsTheLibrarys holds validRegion equal to the library's two calls it replaces, for
// every calling code, on national numbers of every length drawn at random and on each region's
// example numbers (valid ones, which the random ones mostly are not).
func TestValidRegionIsTheLibrarys(t *testing.T) {
	if len(metadata().byRegion) < 200 || len(metadata().nonGeo) == 0 {
		t.Fatalf("metadata: %d regions, %d non-geographic entities", len(metadata().byRegion), len(metadata().nonGeo))
	}
	r := rand.New(rand.NewPCG(1, 2))
	check := func(num *phonenumbers.PhoneNumber) {
		t.Helper()
		wantRegion := phonenumbers.GetRegionCodeForNumber(num)
		wantValid := phonenumbers.IsValidNumberForRegion(num, wantRegion)
		region, valid := validRegion(num)
		if got, want := nationalSignificant(num), phonenumbers.GetNationalSignificantNumber(num); got != want {
			t.Fatalf("nationalSignificant = %q, the library's %q", got, want)
		}
		if wantRegion == "" {
			wantValid = false
		}
		if region != wantRegion || valid != wantValid {
			t.Fatalf("validRegion(+%d %d) = %q %v; the library: %q %v", num.GetCountryCode(), num.GetNationalNumber(),
				region, valid, wantRegion, wantValid)
		}
	}
	valid := 0
	for cc := int32(1); cc < 1000; cc++ {
		regions := phonenumbers.GetRegionCodesForCountryCode(int(cc))
		if len(regions) == 0 {
			continue
		}
		for _, reg := range regions {
			if ex := phonenumbers.GetExampleNumberForType(reg, phonenumbers.MOBILE); ex != nil {
				check(ex)
				valid++
			}
			if ex := phonenumbers.GetExampleNumberForType(reg, phonenumbers.FIXED_LINE); ex != nil {
				check(ex)
				valid++
			}
		}
		for range 300 {
			digits := 4 + r.IntN(11)
			var nsn uint64
			for range digits {
				nsn = nsn*10 + uint64(r.IntN(10))
			}
			c := cc
			num := &phonenumbers.PhoneNumber{CountryCode: &c, NationalNumber: &nsn}
			if r.IntN(8) == 0 { // a national number with leading zeros, as Italy's
				yes, zeros := true, int32(1+r.IntN(2))
				num.ItalianLeadingZero, num.NumberOfLeadingZeros = &yes, &zeros
			}
			check(num)
		}
	}
	if valid < 300 {
		t.Fatalf("only %d example numbers checked", valid)
	}
}
