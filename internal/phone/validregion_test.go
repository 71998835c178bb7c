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
	if len(pickedByValidity()) == 0 || !pickedByValidity()["US"] {
		t.Fatalf("pickedByValidity() = %v: the NANP's main region must be in it", pickedByValidity())
	}
	r := rand.New(rand.NewPCG(1, 2))
	check := func(num *phonenumbers.PhoneNumber) {
		t.Helper()
		wantRegion := phonenumbers.GetRegionCodeForNumber(num)
		wantValid := phonenumbers.IsValidNumberForRegion(num, wantRegion)
		region, valid := validRegion(num)
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
			check(&phonenumbers.PhoneNumber{CountryCode: &c, NationalNumber: &nsn})
		}
	}
	if valid < 300 {
		t.Fatalf("only %d example numbers checked", valid)
	}
}
