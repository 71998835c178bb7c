package intake

import (
	"fmt"
	"strings"
	"testing"
)

// foldRows runs rows through a folder and returns what it handed on, in order.
func foldRows(t *testing.T, rows []ImportRow) ([]ImportRow, *ImportCounts) {
	t.Helper()
	var out []ImportRow
	c := &ImportCounts{}
	f := newFolder(func(r ImportRow) bool { out = append(out, r); return true }, c)
	for _, r := range rows {
		if !f.add(r) {
			t.Fatal("add stopped")
		}
		if len(f.held) > FoldRows || f.bytes > FoldBytes {
			t.Fatalf("window holds %d rows, %d bytes: over its bound", len(f.held), f.bytes)
		}
	}
	if !f.flush() {
		t.Fatal("flush stopped")
	}
	if len(f.held) != 0 || f.bytes != 0 {
		t.Fatalf("after the flush %d rows, %d bytes held", len(f.held), f.bytes)
	}
	return out, c
}

func lines(rows []ImportRow) string {
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%d", r.Line)
		if r.Repeats > 0 {
			fmt.Fprintf(&b, "x%d", r.Repeats)
		}
		b.WriteByte(' ')
	}
	return strings.TrimSpace(b.String())
}

// TestFolderFoldsIdenticalRows: repeats fold into the first row; the same number with other
// content is a row of its own, and a number's rows keep their order.
func TestFolderFoldsIdenticalRows(t *testing.T) {
	a := ImportRow{Raw: "4155552671", Reason: "asked"}
	b := ImportRow{Raw: "4155552672"}
	b2 := ImportRow{Raw: "4155552672", Action: "remove"}
	c := ImportRow{Raw: "4155552673"}
	long := ImportRow{Raw: "4155552673", Problem: RowTooLong}
	at := func(r ImportRow, line int) ImportRow { r.Line = line; return r }
	out, cnt := foldRows(t, []ImportRow{at(a, 1), at(b, 2), at(a, 3), at(a, 4), at(c, 5), at(b2, 6), at(b, 7), at(long, 8),
		at(long, 9), at(c, 10)})
	if got := lines(out); got != "2 6 8 9 1x2 5x1 7" {
		t.Fatalf("handed on %q, want 2 6 8 9 1x2 5x1 7", got)
	}
	if cnt.Folded.Load() != 3 {
		t.Fatalf("folded %d, want 3", cnt.Folded.Load())
	}
}

// TestFolderWindowBounded: a repeat further apart than the window is a row of its own, and the
// window never holds more than its bound of rows or bytes.
func TestFolderWindowBounded(t *testing.T) {
	var rows []ImportRow
	for i := range FoldRows + 10 {
		rows = append(rows, ImportRow{Line: i + 1, Raw: fmt.Sprint(4155550000 + i)})
	}
	rows = append(rows, ImportRow{Line: FoldRows + 11, Raw: "4155550000"}, ImportRow{Line: FoldRows + 12, Raw: "4155550020"})
	out, c := foldRows(t, rows)
	if len(out) != FoldRows+11 || c.Folded.Load() != 1 || out[0].Line != 1 || out[0].Repeats != 0 {
		t.Fatalf("%d rows handed on, %d folded; first %+v", len(out), c.Folded.Load(), out[0])
	}
	big := strings.Repeat("x", 1<<20)
	rows = rows[:0]
	for i := range 40 {
		rows = append(rows, ImportRow{Line: i + 1, Raw: fmt.Sprint(i), Record: big})
	}
	if out, _ := foldRows(t, rows); len(out) != 40 {
		t.Fatalf("%d long rows handed on, want 40", len(out))
	}
}
