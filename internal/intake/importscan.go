package intake

import (
	"bufio"
	"bytes"
	"errors"
	"io"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// An import row is read with a bound on its length, so that memory stays flat whatever the file
// holds: a line of a gigabyte (a gzip bomb of zeros is one) is read in fixed chunks, its first
// bytes kept and the rest skipped to the next newline.
const (
	// DefaultMaxRow is the longest row an import reads by default: its line, or its lines when a
	// quoted field spans several. It bounds every field of the row as well. Longer rows are
	// rejected as row_too_long with their first KeptRowLen bytes.
	DefaultMaxRow = 64 << 10
	// MinMaxRow and MaxMaxRow bound the setting (DNCSYNC_IMPORT_MAX_ROW).
	MinMaxRow = 1 << 10
	MaxMaxRow = 16 << 20
	// KeptRowLen is how much of a row is kept with its refusal and in the report when the row is
	// too long to read whole.
	KeptRowLen = 2048
	// RowTooLong is the reason recorded for a row longer than the bound.
	RowTooLong = "row_too_long"
)

// decodeText returns r as UTF-8: a UTF-8 byte-order mark is dropped, and text with a UTF-16 one
// (little- or big-endian, as spreadsheets export "Unicode text") is decoded. Without a mark the
// text is read as it is.
func decodeText(r io.Reader) io.Reader {
	br := bufio.NewReaderSize(r, 1<<16)
	b, _ := br.Peek(3)
	switch {
	case bytes.HasPrefix(b, []byte("\xef\xbb\xbf")):
		_, _ = br.Discard(3)
		return br
	case bytes.HasPrefix(b, []byte("\xff\xfe")):
		return transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder())
	case bytes.HasPrefix(b, []byte("\xfe\xff")):
		return transform.NewReader(br, unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder())
	}
	return br
}

// rowScanner splits CSV into rows and fields as encoding/csv does with LazyQuotes (a quoted field
// may span lines; a stray quote is kept as text), but with every row bounded by max bytes.
type rowScanner struct {
	br    *bufio.Reader
	delim byte
	max   int
	line  int // lines read so far

	raw    []byte // the row as read, its lines joined by "\n", at most max bytes
	fields []byte // the fields' bytes, unquoted
	ends   []int  // end of each field in fields
}

// scannedRow is one row: its fields, its first line, its text (at most max bytes; when long, the
// row was longer and the rest of it was skipped).
type scannedRow struct {
	fields []string
	line   int
	text   string
	long   bool
}

func newRowScanner(r io.Reader, delim byte, max int) *rowScanner {
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < 1<<16 {
		br = bufio.NewReaderSize(r, 1<<16)
	}
	return &rowScanner{br: br, delim: delim, max: max}
}

// readLine appends the next line to s.raw, without its ending ("\n", "\r\n", or a "\r" before the
// end of the file), keeping at most room bytes of it and skipping the rest to the next newline.
// It returns the line's length as kept, whether it was longer than room, and whether it ended
// with a newline; io.EOF when there is no line left.
func (s *rowScanner) readLine(room int) (n int, long, nl bool, err error) {
	start := len(s.raw)
	total := 0 // bytes of the line, its ending included
	for {
		chunk, rerr := s.br.ReadSlice('\n')
		total += len(chunk)
		// Keep two bytes beyond room, for a "\r\n" that may end the line.
		if keep := room + 2 - (len(s.raw) - start); keep > 0 {
			s.raw = append(s.raw, chunk[:min(len(chunk), keep)]...)
		}
		if errors.Is(rerr, bufio.ErrBufferFull) {
			continue
		}
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return 0, false, false, rerr
		}
		if total == 0 {
			return 0, false, false, io.EOF
		}
		s.line++
		kept := s.raw[start:]
		content := total
		if rerr == nil { // ended with "\n"
			nl = true
			content--
			if len(kept) > content && content > 0 && kept[content-1] == '\r' {
				content--
			}
		} else if content == len(kept) && content > 0 && kept[content-1] == '\r' {
			content-- // encoding/csv drops a "\r" before the end of the file
		}
		if content > room {
			s.raw = s.raw[:start+room]
			return room, true, nl, nil
		}
		s.raw = s.raw[:start+content]
		return content, false, nl, nil
	}
}

// next returns the next row; io.EOF at the end. Empty lines are skipped.
func (s *rowScanner) next() (scannedRow, error) {
	s.raw, s.fields, s.ends = s.raw[:0], s.fields[:0], s.ends[:0]
	var n int
	var long, nl bool
	var err error
	for {
		n, long, nl, err = s.readLine(s.max)
		if err != nil {
			return scannedRow{}, err
		}
		if n > 0 || long {
			break
		}
		s.raw = s.raw[:0] // an empty line
	}
	first := s.line
	line := s.raw[:n]
parseField:
	for pos := 0; ; {
		if pos >= len(line) || line[pos] != '"' {
			// An unquoted field: to the delimiter or the end of the line.
			if i := bytes.IndexByte(line[pos:], s.delim); i >= 0 {
				s.fields = append(s.fields, line[pos:pos+i]...)
				s.ends = append(s.ends, len(s.fields))
				pos += i + 1
				continue
			}
			s.fields = append(s.fields, line[pos:]...)
			s.ends = append(s.ends, len(s.fields))
			break
		}
		// A quoted field: to a quote followed by the delimiter or the end of a line; "" is a
		// quote; a quote followed by anything else is kept as text (lazy quotes).
		pos++
		for {
			if i := bytes.IndexByte(line[pos:], '"'); i >= 0 {
				s.fields = append(s.fields, line[pos:pos+i]...)
				pos += i + 1
				switch {
				case pos < len(line) && line[pos] == '"':
					s.fields = append(s.fields, '"')
					pos++
				case pos < len(line) && line[pos] == s.delim:
					s.ends = append(s.ends, len(s.fields))
					pos++
					continue parseField
				case pos == len(line):
					s.ends = append(s.ends, len(s.fields))
					break parseField
				default:
					s.fields = append(s.fields, '"')
				}
				continue
			}
			// The field goes on past the end of this line, with its newline, if there is one.
			s.fields = append(s.fields, line[pos:]...)
			if long || !nl {
				s.ends = append(s.ends, len(s.fields))
				break parseField
			}
			s.fields = append(s.fields, '\n')
			room := s.max - len(s.raw) - 1
			if room < 0 {
				// No room for the next line: the row ends here, too long, and the next row starts
				// with that line.
				long = true
				s.ends = append(s.ends, len(s.fields))
				break parseField
			}
			s.raw = append(s.raw, '\n')
			start := len(s.raw)
			n, long, nl, err = s.readLine(room)
			if errors.Is(err, io.EOF) {
				s.raw = s.raw[:start-1]
				s.ends = append(s.ends, len(s.fields))
				break parseField
			}
			if err != nil {
				return scannedRow{}, err
			}
			line, pos = s.raw[start:start+n], 0
		}
	}
	// One allocation for the row's text and its fields.
	str := string(append(s.raw, s.fields...))
	row := scannedRow{line: first, text: str[:len(s.raw)], long: long, fields: make([]string, len(s.ends))}
	prev := len(s.raw)
	for i, e := range s.ends {
		row.fields[i] = str[prev : len(s.raw)+e]
		prev = len(s.raw) + e
	}
	if long {
		row.text = truncate(row.text, KeptRowLen)
	}
	return row, nil
}
