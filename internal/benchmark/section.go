// Package benchmark is what the bench targets (make bench-*) share: each writes its results as one
// section of BENCHMARKS.md, between markers of its own, leaving the others' sections alone.
package benchmark

import (
	"os"
	"strings"
)

// WriteSection replaces the text between the lines <!-- name:start --> and <!-- name:end --> in
// the file at path with text, or appends the section (markers and text) when the file has none.
func WriteSection(path, name, text string) error {
	begin, end := "<!-- "+name+":start -->\n", "<!-- "+name+":end -->\n"
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	body := begin + text + end
	doc := string(old)
	if b, e := strings.Index(doc, begin), strings.Index(doc, end); b >= 0 && e > b {
		doc = doc[:b] + body + doc[e+len(end):]
	} else {
		if doc != "" && !strings.HasSuffix(doc, "\n\n") {
			doc = strings.TrimRight(doc, "\n") + "\n\n"
		}
		doc += body
	}
	return os.WriteFile(path, []byte(doc), 0o644)
}
