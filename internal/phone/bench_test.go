package phone

import (
	"fmt"
	"testing"
)

var benchInputs = []struct{ name, raw, region string }{
	{"US_national", "(415) 555-2671", "US"},
	{"E164", "+14155552671", "US"},
	{"UK_national", "020 7946 0958", "GB"},
	{"US_extension", "415-555-2671 x123", "US"},
}

// BenchmarkParse is a repeated input: the cache's answer.
func BenchmarkParse(b *testing.B) {
	for _, bc := range benchInputs {
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

// BenchmarkParseCold is a first sight: the full parse behind the cache.
func BenchmarkParseCold(b *testing.B) {
	for _, bc := range benchInputs {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, reason, _ := parse(bc.raw, bc.region); reason != "" {
					b.Fatal(reason)
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

// BenchmarkParseDistinctE164 is a dialer's batches: numbers in E.164, more distinct ones than the
// cache holds, so that it seldom answers. An op is one number.
func BenchmarkParseDistinctE164(b *testing.B) {
	nums := make([]string, 4*cacheShards*cacheGen*2)
	for i := range nums {
		nums[i] = fmt.Sprintf("+1%s%03d%04d", []string{"212", "415", "646", "917"}[i%4], 200+(i/10000)%800, i%10000)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := Parse(nums[i%len(nums)], "US"); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
