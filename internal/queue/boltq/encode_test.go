package boltq

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// allSet sets every field of *v that is zero (a field added since the test was written) to a value
// of its own, so that each field is in the round trip without a change here.
func allSet[T any](t *testing.T, v *T) {
	t.Helper()
	rv := reflect.ValueOf(v).Elem()
	for i := range rv.NumField() {
		f := rv.Field(i)
		if !f.IsZero() || !rv.Type().Field(i).IsExported() {
			continue
		}
		switch {
		case f.Type() == reflect.TypeFor[time.Time]():
			f.Set(reflect.ValueOf(at(1_750_000_000_000 + int64(i))))
		case f.Kind() == reflect.String:
			f.SetString(rv.Type().Field(i).Name + " ✓")
		case f.Kind() == reflect.Bool:
			f.SetBool(true)
		case f.Kind() >= reflect.Int && f.Kind() <= reflect.Int64:
			f.SetInt(int64(i + 7))
		case f.Kind() == reflect.Map:
			// Destinations: not stored (fill derives it at read); left to the test.
		default:
			t.Fatalf("%s.%s: allSet cannot set a %s", rv.Type().Name(), rv.Type().Field(i).Name, f.Type())
		}
	}
}

// layout3 is v with only the fields that layout 3 stored (the rest zero): what a value written by
// that release reads back as.
func layout3[T any](v T) T {
	fields := map[string][]string{
		"Rejection": {"Kind", "Number", "Raw", "Body", "Said", "Reason", "Region", "Source", "Channel", "EventID",
			"ReceivedAt", "Key", "Hash", "Bytes"},
		"AuditRecord": {"Kind", "Number", "At", "Raw", "Action", "Source", "Channel", "Reason", "Scope", "EventID",
			"Region", "OccurredAt", "ReceivedAt", "ExpiresAt", "Detail", "Destination", "Repeats"},
		"NumberState": {"Number", "State", "FirstRequestedAt", "LastEventAt", "ConfirmedAction", "ConfirmedOccur",
			"ConfirmedAt", "ConfirmedExpires", "LastError"},
	}
	rv := reflect.ValueOf(&v).Elem()
	if rv.Type() == reflect.TypeFor[numState]() {
		rv = rv.Field(0) // its NumberState
	}
	keep := fields[rv.Type().Name()]
	for i := range rv.NumField() {
		if !slices.Contains(keep, rv.Type().Field(i).Name) {
			rv.Field(i).SetZero()
		}
	}
	return v
}

func at(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func TestRecordRoundTrip(t *testing.T) {
	full := record{state: stateLeased, at: 1_700_000_123_456, item: queue.Item{
		Number: "+14155552671", Action: queue.Remove, Raw: "(415) 555-2671", Source: "crm",
		Channel: "sms", Reason: "STOP", Scope: "brand-x", OccurredAt: at(1_700_000_000_001),
		FirstReceivedAt: at(1_700_000_000_002), LastReceivedAt: at(1_700_000_000_003),
		ExpiresAt: at(1_800_000_000_004), Events: 3, Attempts: 2, LastError: "cxone 503 ünïcode",
		Version: 1 << 40, Lease: "0123456789abcdef0123456789abcdef", LostLeases: 4,
	}}
	allSet(t, &full.item)
	zero := record{state: stateReady, item: queue.Item{Number: "+1"}} // zero times stay zero
	for _, r := range []record{full, zero} {
		got, err := decodeRecord(r.item.Number, encodeRecord(&r))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(*got, r) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", *got, r)
		}
	}
	if got, _ := decodeRecord("+1", encodeRecord(&zero)); !got.item.ExpiresAt.IsZero() {
		t.Fatalf("zero expiry came back as %v", got.item.ExpiresAt)
	}
}

func TestRecordDecodeRejectsDamage(t *testing.T) {
	r := record{state: stateDead, at: 5, item: queue.Item{Number: "+1", Action: queue.Add, Raw: "x", Events: 1}}
	v := encodeRecord(&r)
	for n := range len(v) {
		if _, err := decodeRecord("+1", v[:n]); err == nil {
			t.Fatalf("a record truncated to %d of %d bytes decoded", n, len(v))
		}
	}
	for name, bad := range map[string][]byte{
		"trailing": append(append([]byte(nil), v...), 0),
		"format":   append([]byte{9}, v[1:]...),
		"state":    recordCodec.Encode(&storedRecord{State: 7}),
	} {
		if _, err := decodeRecord("+1", bad); err == nil {
			t.Errorf("%s: damaged record decoded", name)
		}
	}
}

// A record written before LostLeases (format 1) still reads, with none lost; so does format 2.
func TestRecordV2StillReads(t *testing.T) {
	r := record{state: stateLeased, at: 7, item: queue.Item{Number: "+1", Action: queue.Add, Attempts: 2,
		Lease: "tok", LostLeases: 3, OccurredAt: at(5)}}
	got, err := decodeRecord("+1", encodeRecordV1(&r))
	if err != nil || !reflect.DeepEqual(*got, r) {
		t.Fatalf("format 2:\n got %+v, %v\nwant %+v", got, err, r)
	}
}

func TestRecordV1StillReads(t *testing.T) {
	r := record{state: stateReady, at: 7, item: queue.Item{Number: "+1", Action: queue.Add, Attempts: 2,
		Lease: "tok", LostLeases: 3}}
	v := encodeRecordV1(&r)
	v1 := append([]byte{recordV1}, v[1:len(v)-1]...) // format 1: no trailing LostLeases
	got, err := decodeRecord("+1", v1)
	if err != nil {
		t.Fatal(err)
	}
	r.item.LostLeases = 0
	if !reflect.DeepEqual(*got, r) {
		t.Fatalf("format 1:\n got %+v\nwant %+v", *got, r)
	}
}

func TestRejectionRoundTrip(t *testing.T) {
	r := queue.Rejection{Kind: queue.AuditRejected, Number: "+14155552671", Raw: "(415) 555-2671",
		Body: `{"phoneNumber":"(415) 555-2671","expiresAt":"2001-01-01T00:00:00Z"}`, Said: "stop please",
		Reason: "expires_in_past", Region: "US", Source: "web", Channel: "form", EventID: "e1",
		ReceivedAt: at(1_700_000_000_777), Key: "+14155552671", Hash: strings.Repeat("ab", 32), Bytes: 70}
	allSet(t, &r)
	got, audit, err := decodeStoredRejection(encodeRejection(r, 1234))
	if err != nil || !reflect.DeepEqual(got, r) || audit != 1234 {
		t.Fatalf("round trip: %+v (audit %d), %v; want %+v", got, audit, err, r)
	}
	if _, err := decodeRejection(encodeRejection(r, 1)[:5]); err == nil {
		t.Fatal("a truncated rejection decoded")
	}
	got, audit, err = decodeStoredRejection(encodeRejectionV1(r, 1234))
	if err != nil || !reflect.DeepEqual(got, layout3(r)) || audit != 1234 {
		t.Fatalf("format 3: %+v (audit %d), %v; want %+v", got, audit, err, r)
	}
}

// A rejection written by the build before the limits (format 2: no hash, no size, no audit record
// of its own) still reads.
func TestRejectionV2StillReads(t *testing.T) {
	r := queue.Rejection{Kind: queue.AuditRejected, Raw: "12", Body: strings.Repeat("x", 4096), Reason: "too_short",
		ReceivedAt: at(1_700_000_000_000), Key: "rejected:12"}
	b := []byte{rejectionV2}
	for _, s := range []string{r.Raw, r.Body, r.Reason, r.Region, r.Source, r.Channel, r.EventID} {
		b = appendString(b, s)
	}
	b = appendString(appendString(appendTime(b, r.ReceivedAt), r.Said), r.Key)
	got, audit, err := decodeStoredRejection(b)
	if err != nil || !reflect.DeepEqual(got, r) || audit != 0 {
		t.Fatalf("format 2: %+v (audit %d), %v; want %+v", got, audit, err, r)
	}
}

func TestTimeKeyOrder(t *testing.T) {
	a, b := timeKey(999, "+19"), timeKey(1000, "+11")
	if string(a) >= string(b) {
		t.Fatal("index keys do not sort by time first")
	}
	if ms, n := splitTimeKey(b); ms != 1000 || n != "+11" {
		t.Fatalf("split %d %q", ms, n)
	}
	if ms, _ := splitTimeKey(timeKey(-5, "+1")); ms != 0 {
		t.Fatalf("a time before 1970 keyed as %d", ms)
	}
}

func TestAuditRecordRoundTrip(t *testing.T) {
	full := queue.AuditRecord{Kind: queue.AuditReceived, Number: "+14155552671", At: at(1_700_000_000_100),
		Raw: "(415) 555-2671", Action: queue.Remove, Source: "crm", Channel: "sms", Reason: "STOP",
		Scope: "brand-x", EventID: "evt-1", Region: "US", OccurredAt: at(1_700_000_000_001),
		ReceivedAt: at(1_700_000_000_002), ExpiresAt: at(1_800_000_000_003), Detail: "cxone 503 ünïcode",
		Destination: "genesys", Repeats: 41}
	allSet(t, &full)
	zero := queue.AuditRecord{Kind: queue.AuditConfirmed, Number: "+1"} // zero times stay zero
	oneDest := full
	oneDest.Repeats = 0 // the format before repeats
	repeatsOnly := full
	repeatsOnly.Destination = ""
	for _, r := range []queue.AuditRecord{full, zero, oneDest, repeatsOnly} {
		got, err := decodeAudit(encodeAudit(&r))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, r)
		}
		if at, number, err := peekAudit(encodeAudit(&r)); err != nil || at != ms(r.At) || number != r.Number {
			t.Fatalf("peek: %d %q %v", at, number, err)
		}
		v1 := encodeAuditV1(&r)
		if got, err := decodeAudit(v1); err != nil || !reflect.DeepEqual(got, layout3(r)) {
			t.Fatalf("layout 3:\n got %+v, %v\nwant %+v", got, err, r)
		}
		if at, number, err := peekAuditV1(v1); err != nil || at != ms(r.At) || number != r.Number {
			t.Fatalf("peek layout 3: %d %q %v", at, number, err)
		}
	}
	v := encodeAudit(&full)
	for n := range len(v) {
		if _, err := decodeAudit(v[:n]); err == nil {
			t.Fatalf("an audit record truncated to %d of %d bytes decoded", n, len(v))
		}
	}
	if _, err := decodeAudit(append([]byte{9}, v[1:]...)); err == nil {
		t.Fatal("an audit record of an unknown format decoded")
	}
}

func TestStateRoundTrip(t *testing.T) {
	full := numState{newest: 1 << 50, NumberState: queue.NumberState{Number: "+14155552671",
		State: queue.StateRemoved, FirstRequestedAt: at(1_700_000_000_001), LastEventAt: at(1_700_000_000_002),
		ConfirmedAction: queue.Remove, ConfirmedOccur: at(1_700_000_000_003), ConfirmedAt: at(1_700_000_000_004),
		ConfirmedExpires: at(1_800_000_000_005), LastError: "cxone 400"}}
	// Destinations is not stored: fill derives it from each destination's own state at read.
	allSet(t, &full.NumberState)
	zero := numState{NumberState: queue.NumberState{Number: "+1"}}
	for _, s := range []numState{full, zero} {
		got, err := decodeState(s.Number, encodeState(&s))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(*got, s) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", *got, s)
		}
		if got, err := decodeState(s.Number, encodeStateV1(&s)); err != nil || !reflect.DeepEqual(*got, layout3(s)) {
			t.Fatalf("layout 3:\n got %+v, %v\nwant %+v", got, err, s)
		}
	}
	v := encodeState(&full)
	for n := range len(v) {
		if _, err := decodeState("+1", v[:n]); err == nil {
			t.Fatalf("a state truncated to %d of %d bytes decoded", n, len(v))
		}
	}
}
