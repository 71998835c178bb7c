package ops

import (
	"bytes"
	"encoding/csv"
	"strings"
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
		Reason: "@SUM(A1)", Scope: "\tx", EventID: "\r=1", Detail: "plain text", Repeats: 7,
		ConsentChannel: "sms", Purpose: "=marketing", Policy: "revoke_all"}
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
		"source": "'+cmd|' /C calc'!A0", "channel": "'-2+3", "reason": "'@SUM(A1)",
		// A tab or carriage return is shown escaped (printable), which no spreadsheet runs.
		"scope": `\tx`, "eventId": `\r=1`, "detail": "plain text", "kind": "rejected", "repeats": "7",
		"consentChannel": "sms", "purpose": "'=marketing", "policy": "revoke_all"} {
		if got[f] != want {
			t.Errorf("%s = %q, want %q", f, got[f], want)
		}
	}
}

// TestExportShowsControlCharactersEscaped: the CSV shows them escaped; jsonl keeps the exact text in
// JSON escapes. Neither carries one to the terminal.
func TestExportShowsControlCharactersEscaped(t *testing.T) {
	r := queue.AuditRecord{Kind: queue.AuditRejected, Number: "12", At: time.Unix(1_700_000_000, 0),
		Raw: "\x1b[2J\x1b]0;owned\x07 12", Source: "\u009b31m", Detail: "\u202eevil"}
	for format, want := range map[string][]string{
		"csv":   {`\x1b[2J\x1b]0;owned\x07 12`, `\u009b31m`, `\u202eevil`},
		"jsonl": {`\u001b[2J\u001b]0;owned\u0007 12`, `\u009b31m`, `\u202eevil`},
	} {
		var buf bytes.Buffer
		w, err := NewWriter(&buf, format)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		for _, c := range out {
			if (c < 0x20 && c != '\n') || (c >= 0x7f && c <= 0x9f) || c == 0x202e {
				t.Fatalf("%s carries %U: %q", format, c, out)
			}
		}
		for _, s := range want {
			if !strings.Contains(out, s) {
				t.Errorf("%s lacks %q: %q", format, s, out)
			}
		}
	}
}
