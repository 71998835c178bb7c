package intake

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// A body is read in one pass that validates it as JSON, refuses duplicate keys and finds the
// events. encoding/json keeps the last of two equal keys, and matches keys without regard to case,
// so {"phoneNumber":"A","PhoneNumber":"B"} would silently opt out B and drop A: any two keys of
// one object that encoding/json could take for one another are refused.

// maxDepth bounds nesting: events are shallow, and a body of a million '[' must not recurse a
// million times.
const maxDepth = 64

// scanned is what a body holds.
type scanned struct {
	object  bool              // the body is an object (else an array)
	keys    []string          // an object body's keys, folded
	events  []json.RawMessage // the array body's elements, or an object body's "events" elements
	isBatch bool              // an array body, or an object body with "events"
}

// scanBody validates body and splits it into events. Errors are *badRequest.
func scanBody(body []byte) (scanned, error) {
	s := scanner{b: body}
	s.space()
	var out scanned
	switch s.peek() {
	case '{':
		out.object = true
		if err := s.object(0, &out); err != nil {
			return out, err
		}
	case '[':
		out.isBatch = true
		var err error
		if out.events, err = s.array(0, true); err != nil {
			return out, err
		}
	case 0:
		return out, badCode("invalid_json", "empty body")
	default:
		return out, badCode("invalid_json", "body is not a JSON object or array")
	}
	s.space()
	if s.i != len(s.b) {
		return out, s.fail("data after the JSON value")
	}
	return out, nil
}

type scanner struct {
	b []byte
	i int
}

func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) fail(what string) error {
	return badCode("invalid_json", "body is not valid JSON: %s at byte %d", what, s.i)
}

// value skips one value.
func (s *scanner) value(depth int) error {
	if depth > maxDepth {
		return badCode("invalid_json", "body nests deeper than %d levels", maxDepth)
	}
	switch c := s.peek(); {
	case c == '{':
		return s.object(depth+1, nil)
	case c == '[':
		_, err := s.array(depth+1, false)
		return err
	case c == '"':
		_, err := s.str()
		return err
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return s.fail("unexpected character")
}

// object reads an object; top, when set, receives the body's keys and events.
func (s *scanner) object(depth int, top *scanned) error {
	s.i++ // '{'
	var keys []string
	s.space()
	if s.peek() == '}' {
		s.i++
		return nil
	}
	for {
		s.space()
		if s.peek() != '"' {
			return s.fail("object key expected")
		}
		k, err := s.str()
		if err != nil {
			return err
		}
		f := fold(k)
		for _, seen := range keys {
			if seen == f {
				return badCode("duplicate_key", "key %q appears twice in one object; send each field once", truncate(k, 64))
			}
		}
		keys = append(keys, f)
		s.space()
		if s.peek() != ':' {
			return s.fail("':' expected")
		}
		s.i++
		s.space()
		if top != nil && f == "events" {
			if s.peek() != '[' {
				return badCode("invalid_json", `"events" must be an array of events`)
			}
			top.isBatch = true
			if top.events, err = s.array(depth+1, true); err != nil {
				return err
			}
		} else if err := s.value(depth + 1); err != nil {
			return err
		}
		s.space()
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			if top != nil {
				top.keys = keys
			}
			return nil
		default:
			return s.fail("',' or '}' expected")
		}
	}
}

// array reads an array, returning its elements when collect is set.
func (s *scanner) array(depth int, collect bool) ([]json.RawMessage, error) {
	s.i++ // '['
	var out []json.RawMessage
	s.space()
	if s.peek() == ']' {
		s.i++
		return out, nil
	}
	for {
		s.space()
		start := s.i
		if err := s.value(depth + 1); err != nil {
			return nil, err
		}
		if collect {
			out = append(out, s.b[start:s.i])
		}
		s.space()
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return out, nil
		default:
			return nil, s.fail("',' or ']' expected")
		}
	}
}

// str reads a string and returns its text (escapes resolved only when there are any).
func (s *scanner) str() (string, error) {
	s.i++ // '"'
	start := s.i
	escaped := false
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			raw := s.b[start:s.i]
			s.i++
			if !escaped {
				return string(raw), nil
			}
			var v string // escapes are rare: encoding/json resolves them as it will later
			if json.Unmarshal(s.b[start-1:s.i], &v) != nil {
				return "", s.fail("bad string escape")
			}
			return v, nil
		case c == '\\':
			escaped = true
			s.i += 2
		case c < 0x20:
			return "", s.fail("control character in a string")
		default:
			s.i++
		}
	}
	return "", s.fail("unterminated string")
}

func (s *scanner) number() error {
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			s.i++
			continue
		}
		break
	}
	if !json.Valid(s.b[start:s.i]) {
		return s.fail("malformed number")
	}
	return nil
}

func (s *scanner) literal(word string) error {
	if !bytes.HasPrefix(s.b[s.i:], []byte(word)) {
		return s.fail("unexpected literal")
	}
	s.i += len(word)
	return nil
}

// fold is a key as encoding/json matches it to a field: case-insensitively, with the Unicode
// letters that fold to ASCII ones (the Kelvin sign, the long s) folded too.
func fold(k string) string {
	for i := 0; i < len(k); i++ {
		if c := k[i]; c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
			return strings.ToLower(strings.ToUpper(k))
		}
	}
	return k
}
