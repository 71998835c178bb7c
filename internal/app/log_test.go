package app

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// Logged values carry senders' input: none may make a log line grow with what a sender sends.
func TestLoggedValuesCapped(t *testing.T) {
	for _, format := range []string{"json", "text"} {
		var buf bytes.Buffer
		log, err := NewLogger("info", format, &buf)
		if err != nil {
			t.Fatal(err)
		}
		huge := strings.Repeat("x", 100_000)
		log.Info(huge, "field", huge, "err", errors.New(huge), "n", 7)
		if n := buf.Len(); n > 4*maxLogField {
			t.Fatalf("%s: a line of %d bytes", format, n)
		}
		if !strings.Contains(buf.String(), "n=7") && !strings.Contains(buf.String(), `"n":7`) {
			t.Fatalf("%s: small values lost: %s", format, buf.String())
		}
	}
}
