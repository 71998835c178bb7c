package destination

import "testing"

func TestRedactNumbers(t *testing.T) {
	for in, want := range map[string]string{
		"Invalid phone number (415) 555-2671":    "Invalid phone number (###) ###-####",
		"number +44 20 7946 0958 refused":        "number +## ## #### #### refused",
		"4155552671":                             "##########",
		"must be 10 digits, got 123456":          "must be 10 digits, got 123456",
		"HTTP 502 at 12:00 - retry 3":            "HTTP 502 at 12:00 - retry 3",
		"415.555.2671x":                          "###.###.####x",
		"4 1 5 5 5 5 2 6 7 1":                    "# # # # # # # # # #",
		"code 1234, 567":                         "code 1234, 567",
		`{"phoneNumber":"4155552671","n":12345}`: `{"phoneNumber":"##########","n":12345}`,
	} {
		if got := RedactNumbers(in); got != want {
			t.Errorf("RedactNumbers(%q) = %q, want %q", in, got, want)
		}
	}
}
