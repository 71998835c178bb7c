package lookup

import (
	"bytes"
	"encoding/csv"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

func TestCSVNeutralizesFormulas(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, "csv")
	if err != nil {
		t.Fatal(err)
	}
	r := queue.AuditRecord{Kind: queue.AuditRejected, Number: "+14155552671", At: time.Unix(1_700_000_000, 0),
		Raw: `=HYPERLINK("http://evil.example","x")`, Source: "+cmd|' /C calc'!A0", Channel: "-2+3",
		Reason: "@SUM(A1)", Scope: "\tx", EventID: "\r=1", Detail: "plain text", Repeats: 7}
	if err := w.Write(r); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("rows %v, %v", rows, err)
	}
	got := map[string]string{}
	for i, f := range ExportFields {
		got[f] = rows[1][i]
	}
	for f, want := range map[string]string{"number": "+14155552671", "raw": `'=HYPERLINK("http://evil.example","x")`,
		"source": "'+cmd|' /C calc'!A0", "channel": "'-2+3", "reason": "'@SUM(A1)", "scope": "'\tx",
		"eventId": "'\r=1", "detail": "plain text", "kind": "rejected", "repeats": "7"} {
		if got[f] != want {
			t.Errorf("%s = %q, want %q", f, got[f], want)
		}
	}
}
