package phone

import (
	"strings"
	"testing"
	"unicode"
)

func TestMask(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"+14155552671", "+1415*****71"},
		{"+442079460958", "+4420******58"},
		{"+4915123456789", "+4915*******89"},
		{"+390612345678", "+3906******78"},
		{"+80012345678", "+8001*****78"},
		{"+6834002", "+68*****"},                 // 7 digits: no tail
		{"+123456789012345", "+1234*********45"}, // 15 digits
		{"4155552671", "415*****71"},
		{"(415) 555-2671", "415*****71"},
		{"  +1 415 555 2671 ", "+1415*****71"},
		{"＋１ ４１５ ５５５ ２６７１", "+１４１５*****７１"},
		{"1-800-FLOWERS", "1800*****RS"},
		{"555-0100", "55*****"},
		{"123456", "1*****"},
		{"12345", "*****"},
		{"12", "**"},
		{"1", "*"},
		{"+", "+"},
		{"", ""},
		{"   ", ""},
		{"---", ""},
		{"\xff\xfe4155552671", "415*****71"},
		{strings.Repeat("9", 300), "9999************99"},
	} {
		if got := Mask(tc.in); got != tc.want {
			t.Errorf("Mask(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestMaskRevealLimits checks the promise callers rely on for every
// accepted number and every rejected input in the tables: at most 4+2
// characters shown, at most 4 when the input is short, at least 5 hidden.
func TestMaskRevealLimits(t *testing.T) {
	var inputs []string
	for _, tc := range okCases {
		n, err := Parse(tc.raw, tc.region)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, n.E164, tc.raw)
	}
	for _, tc := range badCases {
		inputs = append(inputs, tc.raw)
	}
	for _, in := range inputs {
		checkMask(t, in)
	}
}

func checkMask(t *testing.T, in string) {
	t.Helper()
	sig := 0
	for _, r := range in {
		if unicode.IsDigit(r) || unicode.IsLetter(r) {
			sig++
		}
	}
	out := Mask(in)
	shown := 0
	for _, r := range out {
		if r != '*' && r != '+' {
			shown++
		}
	}
	hidden := strings.Count(out, "*")
	switch {
	case shown > 6:
		t.Errorf("Mask(%q) = %q shows %d characters", in, out, shown)
	case sig < 10 && shown > 4:
		t.Errorf("Mask(%q) = %q shows %d of %d characters", in, out, shown, sig)
	case sig > 0 && hidden < min(sig, 5):
		t.Errorf("Mask(%q) = %q hides only %d characters", in, out, hidden)
	}
}

func FuzzMask(f *testing.F) {
	for _, tc := range okCases {
		f.Add(tc.raw)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkMask(t, s)
	})
}
