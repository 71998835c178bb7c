package queue_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// filled sets every field of *v to a non-zero value that differs per field.
func filled[T any](v *T) {
	rv := reflect.ValueOf(v).Elem()
	fill(rv, 1)
}

func fill(rv reflect.Value, seed int) int {
	for i := range rv.NumField() {
		f := rv.Field(i)
		if !rv.Type().Field(i).IsExported() {
			continue
		}
		seed++
		switch {
		case f.Type() == reflect.TypeFor[time.Time]():
			f.Set(reflect.ValueOf(time.UnixMilli(1_700_000_000_000 + int64(seed)*1001).UTC()))
		case f.Kind() == reflect.String:
			f.SetString("v" + string(rune('a'+seed%26)) + "\x00\xff")
		case f.Kind() == reflect.Bool:
			f.SetBool(true)
		case f.Kind() >= reflect.Int && f.Kind() <= reflect.Int64:
			f.SetInt(int64(-seed * 300))
		case f.Kind() == reflect.Struct:
			seed = fill(f, seed)
		}
	}
	return seed
}

func roundTrip[T any](t *testing.T, c *queue.Codec[T], skip ...string) {
	t.Helper()
	var in, out T
	filled(&in)
	for _, s := range skip {
		reflect.ValueOf(&in).Elem().FieldByName(s).SetZero()
	}
	if err := c.Decode(c.Encode(&in), &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("%T round trip:\n in %+v\nout %+v", in, in, out)
	}
	var zero, z2 T
	if err := c.Decode(c.Encode(&zero), &z2); err != nil || !reflect.DeepEqual(zero, z2) {
		t.Errorf("zero %T round trip: %+v, %v", zero, z2, err)
	}
}

func TestCodecRoundTripsEveryField(t *testing.T) {
	roundTrip(t, queue.EventCodec)
	roundTrip(t, queue.ItemCodec)
	roundTrip(t, queue.AuditCodec)
	roundTrip(t, queue.RejectionCodec)
	roundTrip(t, queue.NewCodec[queue.NumberState](), "Destinations")
}

func TestCodecSkipsUnknownFieldsAndRefusesOthers(t *testing.T) {
	type v2 struct {
		A string    `q:"1"`
		N int       `q:"2"`
		T time.Time `q:"3"`
		B bool      `q:"4"`
	}
	type v1 struct {
		A string `q:"1"`
		B bool   `q:"4"`
	}
	in := v2{A: "a", N: -5, T: time.UnixMilli(12345).UTC(), B: true}
	var out v1
	if err := queue.NewCodec[v1]().Decode(queue.NewCodec[v2]().Encode(&in), &out); err != nil {
		t.Fatal(err)
	}
	if out != (v1{A: "a", B: true}) {
		t.Errorf("an older reader got %+v", out)
	}
	for _, bad := range [][]byte{nil, {1, 2}, {queue.ValueVersion, 3}, {queue.ValueVersion, 2 << 1, 0x80}} {
		if err := queue.NewCodec[v2]().Decode(bad, &v2{}); !errors.Is(err, queue.ErrValue) {
			t.Errorf("Decode(%x) = %v, want ErrValue", bad, err)
		}
	}
	n, _, ok, err := queue.Peek(queue.NewCodec[v2]().Encode(&in), 3)
	if err != nil || !ok || n != 12345 {
		t.Errorf("Peek time = %d %v %v", n, ok, err)
	}
	_, s, ok, err := queue.Peek(queue.NewCodec[v2]().Encode(&in), 1)
	if err != nil || !ok || string(s) != "a" {
		t.Errorf("Peek string = %q %v %v", s, ok, err)
	}
}

func TestCodecRefusesUntaggedFields(t *testing.T) {
	type untagged struct {
		A string `q:"1"`
		B string
	}
	type twice struct {
		A string `q:"1"`
		B string `q:"1"`
	}
	for name, f := range map[string]func(){"untagged": func() { queue.NewCodec[untagged]() },
		"twice": func() { queue.NewCodec[twice]() }} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewCodec of a type with a field %s did not panic", name)
				}
			}()
			f()
		}()
	}
}

func sampleEvent() queue.Event {
	at := time.UnixMilli(1_760_000_000_000).UTC()
	return queue.Event{ID: "evt-0001", Number: "+14155550100", Raw: "(415) 555-0100", Action: queue.Add,
		Source: "webhook", Channel: "sms", Reason: "STOP", OccurredAt: at, ReceivedAt: at.Add(time.Second)}
}

func BenchmarkEventEncode(b *testing.B) {
	ev := sampleEvent()
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = queue.EventCodec.Append(buf[:0], &ev)
	}
	b.ReportMetric(float64(len(buf)), "bytes/event")
}

func BenchmarkEventEncodeNew(b *testing.B) {
	ev := sampleEvent()
	b.ReportAllocs()
	for b.Loop() {
		_ = queue.EventCodec.Encode(&ev)
	}
}

func BenchmarkEventDecode(b *testing.B) {
	ev := sampleEvent()
	v := queue.EventCodec.Encode(&ev)
	b.ReportAllocs()
	for b.Loop() {
		var out queue.Event
		if err := queue.EventCodec.Decode(v, &out); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkItemRoundTrip(b *testing.B) {
	it := queue.NewItem(sampleEvent())
	it.Lease, it.Attempts, it.LastError = "0123456789abcdef0123456789abcdef", 2, "503 Service Unavailable"
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = queue.ItemCodec.Append(buf[:0], &it)
		var out queue.Item
		if err := queue.ItemCodec.Decode(buf, &out); err != nil {
			b.Fatal(err)
		}
	}
}
