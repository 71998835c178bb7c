package phone

import "testing"

func BenchmarkParse(b *testing.B) {
	for _, bc := range []struct{ name, raw, region string }{
		{"US_national", "(415) 555-2671", "US"},
		{"E164", "+14155552671", "US"},
		{"UK_national", "020 7946 0958", "GB"},
		{"US_extension", "415-555-2671 x123", "US"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(bc.raw, bc.region); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkMask(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Mask("+14155552671")
	}
}
