package queue

import (
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"time"
)

// The stores keep an item, an event and an audit record each as one value in one encoding, so that
// a new field is a new struct field with a new tag and nothing else: no format byte, no store code,
// no script argument. The Redis scripts pass an event's value through without reading it.
//
// A value is ValueVersion, then its non-zero fields in tag order, each as a uvarint key
// (tag<<1 | wire) and the field: wire 0 a varint (ints as zigzag varints, bools as 0 or 1, times
// as Unix milliseconds, the precision the stores keep), wire 1 a uvarint length and bytes
// (strings). A zero field is left out and reads back as zero; a tag a reader does not know is
// skipped, so that an older build reads a newer value without the fields it lacks. A 0 byte ends
// the value (tag 0 is no field's), so that a value cut anywhere does not decode.
//
// Struct fields carry their tag as `q:"N"` (1 <= N < 1<<20, never reused once released); an
// exported field without one, or with `q:"-"`, is refused or left out at NewCodec, so that a field
// cannot be forgotten. Embedded structs are flattened, their tags sharing one space.

// ValueVersion is the first byte of every value. The stores' older values began with a format byte
// from 1 to 3, which the stores still read and rewrite at open.
const ValueVersion byte = 0x10

const (
	wireVarint = 0
	wireBytes  = 1
)

// Codec encodes and decodes values of T. Make one per type, once (NewCodec).
type Codec[T any] struct {
	fields []codecField // in tag order
	tags   map[string]uint64
}

type codecField struct {
	tag   uint64
	name  string
	index []int
	kind  fieldKind
}

type fieldKind uint8

const (
	kString fieldKind = iota
	kInt
	kUint
	kBool
	kTime
)

// The codecs of the values the stores keep.
var (
	EventCodec     = NewCodec[Event]()
	ItemCodec      = NewCodec[Item]()
	AuditCodec     = NewCodec[AuditRecord]()
	RejectionCodec = NewCodec[Rejection]()
)

// NewCodec reads T's tags; it panics on a field it cannot encode, an untagged exported field or a
// tag used twice: mistakes of the code, found by any test that touches the type.
func NewCodec[T any]() *Codec[T] {
	c := &Codec[T]{tags: map[string]uint64{}}
	c.add(reflect.TypeFor[T](), nil)
	slices.SortFunc(c.fields, func(a, b codecField) int { return int(a.tag) - int(b.tag) })
	for i := 1; i < len(c.fields); i++ {
		if c.fields[i].tag == c.fields[i-1].tag {
			panic(fmt.Sprintf("queue: codec of %v: tag %d on both %s and %s", reflect.TypeFor[T](), c.fields[i].tag,
				c.fields[i-1].name, c.fields[i].name))
		}
	}
	return c
}

func (c *Codec[T]) add(t reflect.Type, index []int) {
	for i := range t.NumField() {
		f := t.Field(i)
		idx := append(slices.Clone(index), i)
		tag, tagged := f.Tag.Lookup("q")
		if f.Anonymous && f.Type.Kind() == reflect.Struct && !tagged {
			c.add(f.Type, idx)
			continue
		}
		if tag == "-" || (!f.IsExported() && !tagged) {
			continue
		}
		where := fmt.Sprintf("queue: codec of %v: field %s", reflect.TypeFor[T](), f.Name)
		if !f.IsExported() {
			panic(where + ": unexported fields cannot be encoded")
		}
		if !tagged {
			panic(where + ` has no q:"N" tag (q:"-" leaves it out)`)
		}
		n, err := strconv.ParseUint(tag, 10, 64)
		if err != nil || n == 0 || n >= 1<<20 {
			panic(where + ": tag " + strconv.Quote(tag) + " is not a number from 1 to 2^20-1")
		}
		var k fieldKind
		switch {
		case f.Type == reflect.TypeFor[time.Time]():
			k = kTime
		case f.Type.Kind() == reflect.String:
			k = kString
		case f.Type.Kind() == reflect.Bool:
			k = kBool
		case f.Type.Kind() >= reflect.Int && f.Type.Kind() <= reflect.Int64:
			k = kInt
		case f.Type.Kind() >= reflect.Uint && f.Type.Kind() <= reflect.Uint64:
			k = kUint
		default:
			panic(where + ": type " + f.Type.String() + " is not a string, an integer, a bool or a time")
		}
		c.fields = append(c.fields, codecField{tag: n, name: f.Name, index: idx, kind: k})
		c.tags[f.Name] = n
	}
}

// Tag is the tag of the field name (of T or a struct it embeds); it panics for a field without one.
func (c *Codec[T]) Tag(name string) uint64 {
	n, ok := c.tags[name]
	if !ok {
		panic("queue: codec: no field " + name)
	}
	return n
}

func field(v reflect.Value, index []int) reflect.Value {
	if len(index) == 1 {
		return v.Field(index[0])
	}
	return v.FieldByIndex(index)
}

// Append appends the encoding of *v to b.
func (c *Codec[T]) Append(b []byte, v *T) []byte {
	rv := reflect.ValueOf(v).Elem()
	b = append(b, ValueVersion)
	for i := range c.fields {
		f := &c.fields[i]
		fv := field(rv, f.index)
		switch f.kind {
		case kString:
			if s := fv.String(); s != "" {
				b = binary.AppendUvarint(b, f.tag<<1|wireBytes)
				b = binary.AppendUvarint(b, uint64(len(s)))
				b = append(b, s...)
			}
		case kInt:
			if n := fv.Int(); n != 0 {
				b = binary.AppendUvarint(b, f.tag<<1|wireVarint)
				b = binary.AppendVarint(b, n)
			}
		case kUint:
			if n := fv.Uint(); n != 0 {
				b = binary.AppendUvarint(b, f.tag<<1|wireVarint)
				b = binary.AppendUvarint(b, n)
			}
		case kBool:
			if fv.Bool() {
				b = binary.AppendUvarint(b, f.tag<<1|wireVarint)
				b = append(b, 1)
			}
		case kTime:
			if t := fv.Addr().Interface().(*time.Time); !t.IsZero() {
				b = binary.AppendUvarint(b, f.tag<<1|wireVarint)
				b = binary.AppendVarint(b, t.UnixMilli())
			}
		}
	}
	return append(b, 0)
}

// Encode is the encoding of *v.
func (c *Codec[T]) Encode(v *T) []byte { return c.Append(make([]byte, 0, 128), v) }

// ErrValue is returned for a value that is not in this encoding, or is cut short.
var ErrValue = errors.New("value not in the queue encoding, or truncated")

// Decode sets *v from b: the fields b holds; the others are left as they were. Strings are copied
// (all of them in one allocation), so b may be reused.
func (c *Codec[T]) Decode(b []byte, v *T) error {
	if len(b) == 0 || b[0] != ValueVersion {
		return ErrValue
	}
	rv := reflect.ValueOf(v).Elem()
	var all string // b as a string, made at the first string field: one copy for all of them
	whole := b
	b = b[1:]
	next := 0 // fields and the value are both in tag order: most lookups are the next field
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			return ErrValue
		}
		b = b[n:]
		if key == 0 {
			if len(b) != 0 {
				return ErrValue
			}
			return nil
		}
		tag, wire := key>>1, key&1
		var from, to int // of a string in whole
		var u uint64
		if wire == wireBytes {
			l, n := binary.Uvarint(b)
			if n <= 0 || l > uint64(len(b)-n) {
				return ErrValue
			}
			from = len(whole) - len(b) + n
			to = from + int(l)
			b = b[n+int(l):]
		} else {
			u, n = binary.Uvarint(b)
			if n <= 0 {
				return ErrValue
			}
			b = b[n:]
		}
		for next < len(c.fields) && c.fields[next].tag < tag {
			next++
		}
		if next == len(c.fields) || c.fields[next].tag != tag {
			// Unknown (newer) or out of order: look it up, or skip it.
			i, ok := slices.BinarySearchFunc(c.fields, tag, func(f codecField, t uint64) int { return int(f.tag) - int(t) })
			if !ok {
				continue
			}
			next = i
		}
		f := &c.fields[next]
		fv := field(rv, f.index)
		if (f.kind == kString) != (wire == wireBytes) {
			return fmt.Errorf("%w: field %s has the wrong wire type", ErrValue, f.name)
		}
		switch f.kind {
		case kString:
			if all == "" {
				all = string(whole)
			}
			fv.SetString(all[from:to])
		case kInt:
			fv.SetInt(int64(u>>1) ^ -int64(u&1)) // zigzag, as binary.AppendVarint
		case kUint:
			fv.SetUint(u)
		case kBool:
			fv.SetBool(u != 0)
		case kTime:
			*fv.Addr().Interface().(*time.Time) = time.UnixMilli(int64(u>>1) ^ -int64(u&1)).UTC()
		}
	}
	return ErrValue // no end: cut short
}

// Peek reads the field tag of an encoded value without decoding the rest: a varint field's value
// (ints zigzag-decoded; times in Unix ms) or a string's bytes (valid as long as b is). ok is false
// when the value leaves the field out (it is zero).
func Peek(b []byte, tag uint64) (n int64, s []byte, ok bool, err error) {
	if len(b) == 0 || b[0] != ValueVersion {
		return 0, nil, false, ErrValue
	}
	b = b[1:]
	for len(b) > 0 {
		key, k := binary.Uvarint(b)
		if k <= 0 {
			return 0, nil, false, ErrValue
		}
		b = b[k:]
		if key == 0 {
			break
		}
		if key&1 == wireBytes {
			l, k := binary.Uvarint(b)
			if k <= 0 || l > uint64(len(b)-k) {
				return 0, nil, false, ErrValue
			}
			if key>>1 == tag {
				return 0, b[k : k+int(l)], true, nil
			}
			b = b[k+int(l):]
			continue
		}
		u, k := binary.Uvarint(b)
		if k <= 0 {
			return 0, nil, false, ErrValue
		}
		if key>>1 == tag {
			return int64(u>>1) ^ -int64(u&1), nil, true, nil
		}
		b = b[k:]
	}
	return 0, nil, false, nil
}
