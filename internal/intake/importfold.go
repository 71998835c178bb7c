package intake

// A file that repeats a row (the same number with the same content) must not cost the store a
// record per repeat: a repeat is folded into the row it repeats, which is then recorded once with
// a count (ImportRow.Repeats). Rows are held back in a window before they are sent, so that their
// repeats can still be folded into them; the window is bounded, so memory stays flat. A repeat
// further apart than the window is recorded as a row of its own (with its own count).
const (
	// FoldRows and FoldBytes bound the window: at most this many rows, and this much of their
	// text, are held back at once.
	FoldRows  = 8192
	FoldBytes = 8 << 20
)

// folder holds rows back in a window, oldest first, folding identical rows into them, and hands
// each row on (emit) when it leaves the window. The rows of one number keep their order: a row of
// a number held with other content sends the held one on first.
type folder struct {
	emit  func(ImportRow) bool // false: stop reading
	c     *ImportCounts
	held  map[string]*heldRow // by number as written: its row in the window
	queue []*heldRow          // the window, oldest first, from head; gone rows are skipped
	head  int
	bytes int
}

type heldRow struct {
	row  ImportRow
	gone bool // handed on out of turn
}

func newFolder(emit func(ImportRow) bool, c *ImportCounts) *folder {
	return &folder{emit: emit, c: c, held: map[string]*heldRow{}}
}

// heldSize is what a held row costs: its text and fields (one allocation, about twice the text),
// the row itself and its place in the map and the window.
func heldSize(r *ImportRow) int { return 2*len(r.Record) + 320 }

// sameContent reports whether b repeats a: everything recorded of them is the same.
func sameContent(a, b *ImportRow) bool {
	return a.Raw == b.Raw && a.Country == b.Country && a.Action == b.Action && a.OccurredAt == b.OccurredAt &&
		a.ExpiresAt == b.ExpiresAt && a.Source == b.Source && a.Channel == b.Channel && a.Reason == b.Reason &&
		a.Scope == b.Scope && a.ConsentChannel == b.ConsentChannel && a.Purpose == b.Purpose &&
		a.Problem == "" && b.Problem == ""
}

// add takes the next row of the file; false when the reading must stop.
func (f *folder) add(r ImportRow) bool {
	if r.Problem != "" {
		// Only its first bytes are known: it cannot be told identical to another row.
		return f.emit(r)
	}
	if h := f.held[r.Raw]; h != nil {
		if sameContent(&h.row, &r) {
			h.row.Repeats++
			f.c.Folded.Add(1)
			return true
		}
		// The number again, with other content: what was held goes first.
		h.gone = true
		f.release(h)
		if !f.emit(h.row) {
			return false
		}
	}
	h := &heldRow{row: r}
	f.held[r.Raw] = h
	f.queue = append(f.queue, h)
	f.bytes += heldSize(&r)
	for len(f.held) > FoldRows || f.bytes > FoldBytes {
		if !f.pop() {
			return false
		}
	}
	return true
}

// release forgets h (it leaves the window).
func (f *folder) release(h *heldRow) {
	if f.held[h.row.Raw] == h {
		delete(f.held, h.row.Raw)
	}
	f.bytes -= heldSize(&h.row)
}

// pop hands on the oldest row of the window; false when the reading must stop.
func (f *folder) pop() bool {
	for f.head < len(f.queue) {
		h := f.queue[f.head]
		f.queue[f.head] = nil
		f.head++
		if f.head > 1024 && f.head*2 > len(f.queue) {
			f.queue, f.head = append(f.queue[:0], f.queue[f.head:]...), 0
		}
		if h.gone {
			continue
		}
		f.release(h)
		return f.emit(h.row)
	}
	return true
}

// flush hands on every row held, oldest first; false when the reading must stop.
func (f *folder) flush() bool {
	for f.head < len(f.queue) {
		if !f.pop() {
			return false
		}
	}
	return true
}
