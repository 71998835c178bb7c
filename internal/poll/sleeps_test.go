package poll

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// maxSleeps is how many sleeps the whole tree may hold (issue 17): a test waits on a channel, the
// stores' clock, testing/synctest or this package, and sleeps only where none of them can.
const maxSleeps = 8

// TestFewSleeps holds the tree to maxSleeps sleeps, each with a comment on its line or the line
// above saying why nothing else would do.
func TestFewSleeps(t *testing.T) {
	needle := "time." + "Sleep(" // split, or this file would count itself
	var found, bare []string
	files := 0
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "../.." && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		files++
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		prev := ""
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			if i := strings.Index(line, needle); i >= 0 {
				at := filepath.ToSlash(strings.TrimPrefix(path, "../../")) + ":" + strconv.Itoa(n)
				found = append(found, at)
				if !strings.Contains(line[i:], "//") && !strings.HasPrefix(strings.TrimSpace(prev), "//") {
					bare = append(bare, at)
				}
			}
			prev = line
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("../../go.mod"); err != nil || files < 100 {
		t.Fatalf("the walk did not read the module's tree (../..: %v, %d Go files)", err, files)
	}
	if len(found) > maxSleeps {
		t.Errorf("%d sleeps in the tree, at most %d: wait on a signal, the store's clock, testing/synctest "+
			"or poll instead:\n%s", len(found), maxSleeps, strings.Join(found, "\n"))
	}
	if len(bare) > 0 {
		t.Errorf("sleeps without a comment (on the line or the one above) saying why nothing else would do:\n%s",
			strings.Join(bare, "\n"))
	}
}
