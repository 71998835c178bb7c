package benchmark

import (
	"os"
	"path/filepath"
	"testing"
)

// A section is appended once, then replaced in place; the text around it is kept.
func TestWriteSection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	if err := os.WriteFile(path, []byte("# Benchmarks\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	steps := []struct{ name, text, want string }{
		{"bench-a", "one\n", "# Benchmarks\n\n<!-- bench-a:start -->\none\n<!-- bench-a:end -->\n"},
		{"bench-b", "two\n", "# Benchmarks\n\n<!-- bench-a:start -->\none\n<!-- bench-a:end -->\n\n<!-- bench-b:start -->\ntwo\n<!-- bench-b:end -->\n"},
		{"bench-a", "uno\n", "# Benchmarks\n\n<!-- bench-a:start -->\nuno\n<!-- bench-a:end -->\n\n<!-- bench-b:start -->\ntwo\n<!-- bench-b:end -->\n"},
	}
	for i, s := range steps {
		if err := WriteSection(path, s.name, s.text); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != s.want {
			t.Fatalf("step %d: file is\n%q\nwant\n%q", i, got, s.want)
		}
	}
	fresh := filepath.Join(t.TempDir(), "new.md")
	if err := WriteSection(fresh, "bench-a", "x\n"); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(fresh); string(got) != "<!-- bench-a:start -->\nx\n<!-- bench-a:end -->\n" {
		t.Fatalf("a new file: %q", got)
	}
}
