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
const maxSleeps = 5

// synctestMark begins the comment of a sleep inside a testing/synctest bubble: there a sleep is how
// the test moves the bubble's fake clock, which returns at once and waits for nothing real, so it
// is not counted; its file must use synctest.
const synctestMark = "synctest's clock"

// TestFewSleeps holds the tree to maxSleeps real sleeps, each with a comment on its line or the line
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
		bubble := false // the file uses synctest
		var marked []string
		defer func() {
			if !bubble {
				found = append(found, marked...) // marked, but no bubble to move the clock of
			}
		}()
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			bubble = bubble || strings.Contains(line, "synctest.")
			if i := strings.Index(line, needle); i >= 0 {
				at := filepath.ToSlash(strings.TrimPrefix(path, "../../")) + ":" + strconv.Itoa(n)
				if strings.Contains(line[i:], "// "+synctestMark) || strings.HasPrefix(strings.TrimSpace(prev), "// "+synctestMark) {
					marked = append(marked, at)
					prev = line
					continue
				}
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
