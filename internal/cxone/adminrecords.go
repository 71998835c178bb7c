package cxone

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/phone"
)

type adminRecord struct {
	PhoneNumber string `json:"phoneNumber"`
	ExpiredDate string `json:"expiredDate,omitempty"`
}

type adminRecords struct {
	DNCGroupRecords []adminRecord `json:"dncGroupRecords"`
}

// adminBatch is one request: records deduplicated by digits (two contacts can share them, e.g.
// "+14155552671" twice), each with the contacts it stands for.
type adminBatch struct {
	records []adminRecord
	idx     [][]int
}

// Add puts the contacts in the DNC group. CXone answers per record, so one refused number does not
// fail the others.
func (a *Admin) Add(ctx context.Context, contacts []Contact) []error {
	return requestProblem(a.write(ctx, "add", http.MethodPost, contacts))
}

// Remove expires the contacts' records; a number that was not in the group is a success.
func (a *Admin) Remove(ctx context.Context, contacts []Contact) []error {
	return a.write(ctx, "remove", http.MethodDelete, contacts)
}

func (a *Admin) write(ctx context.Context, op, method string, contacts []Contact) []error {
	out := make([]error, len(contacts))
	b := a.batch(op, contacts, out)
	if len(b.records) > 0 {
		a.send(ctx, op, method, b, out)
	}
	return out
}

// batch builds the request; numbers the Admin API cannot name get a Permanent error in out.
func (a *Admin) batch(op string, contacts []Contact, out []error) adminBatch {
	var b adminBatch
	pos := make(map[string]int, len(contacts))
	var exp []time.Time // per record; zero: no expiry
	now := a.now()
	for i, c := range contacts {
		d, err := adminDigits(op, c.Number)
		if err != nil {
			out[i] = err
			continue
		}
		var e time.Time
		if op == "add" {
			e = a.expiry(c, now)
		}
		k, ok := pos[d]
		if !ok {
			k = len(b.records)
			pos[d] = k
			b.records = append(b.records, adminRecord{PhoneNumber: d})
			b.idx = append(b.idx, nil)
			exp = append(exp, e)
		} else if !exp[k].IsZero() && (e.IsZero() || e.After(exp[k])) {
			exp[k] = e // the longest block wins: never shorten an opt-out
		}
		b.idx[k] = append(b.idx[k], i)
	}
	for k, e := range exp {
		if !e.IsZero() {
			e = e.UTC().Truncate(time.Second)
			b.records[k].ExpiredDate = e.Format(time.RFC3339)
		}
		if op == "add" {
			for _, i := range b.idx[k] {
				contacts[i].ExpiresAt = e // what is sent (Client.Add)
			}
		}
	}
	return b
}

// adminDigits is the Admin API's form of an E.164 number. The form is ambiguous: CXone reads 10
// digits as NANP, so a 10-digit international number (+49 30 123456) and a "+1" number that is not
// 10 national digits would both name someone else's NANP number. Those are refused (Permanent),
// since blocking the wrong person while the right one stays callable is the worst outcome.
func adminDigits(op, e164 string) (string, error) {
	d := phone.Digits(e164)
	nanp := strings.HasPrefix(e164, "+1")
	switch {
	case d == "":
		return "", &Error{Kind: Permanent, Op: op, Msg: "not an E.164 number"}
	case nanp && len(e164) != 12:
		return "", &Error{Kind: Permanent, Op: op, Msg: "a +1 number without 10 national digits"}
	case !nanp && len(d) == 10:
		return "", &Error{Kind: Permanent, Op: op,
			Msg: "a 10-digit international number, which the Admin API would read as a NANP number"}
	}
	return d, nil
}

// expiry is when c's record should end: its own end, else the configured default, else never.
func (a *Admin) expiry(c Contact, now time.Time) time.Time {
	if !c.ExpiresAt.IsZero() {
		return c.ExpiresAt
	}
	if a.cfg.ExpiresAfter > 0 {
		return now.Add(a.cfg.ExpiresAfter)
	}
	return time.Time{}
}

func (b adminBatch) sub(lo, hi int) adminBatch {
	return adminBatch{records: b.records[lo:hi], idx: b.idx[lo:hi]}
}

func (b adminBatch) setAll(out []error, err error) {
	for _, is := range b.idx {
		setAll(out, is, err)
	}
}

func (a *Admin) send(ctx context.Context, op, method string, b adminBatch, out []error) {
	u, err := a.recordsURL(ctx, op)
	if err != nil {
		b.setAll(out, err)
		return
	}
	r, err := a.c.do(ctx, op, method, u, adminRecords{b.records})
	if err != nil {
		b.setAll(out, err)
		return
	}
	switch {
	case r.status/100 == 2:
		// Add answers inside resultSet; Remove answers bare, but accept either for Remove.
		results, ok := parseRecordResults(r.body, op == "remove")
		if !ok {
			b.setAll(out, unexpected(op, r))
			return
		}
		b.apply(op, results, out)
	case (r.status == http.StatusBadRequest || r.status == http.StatusUnprocessableEntity) && len(b.records) > 1:
		// A whole-batch refusal may be one bad number: halve so that it cannot fail the others.
		h := len(b.records) / 2
		a.send(ctx, op, method, b.sub(0, h), out)
		a.send(ctx, op, method, b.sub(h, len(b.records)), out)
	default:
		b.setAll(out, statusError(op, r))
	}
}

type recordResult struct {
	Success        *bool      `json:"success"`
	PhoneNumber    flexString `json:"phoneNumber"`
	FormattedPhone flexString `json:"formattedPhone"`
	Error          string     `json:"error"`
}

type recordResultSet struct {
	ErrorCount    *int            `json:"errorCount"`
	RecordResults *[]recordResult `json:"recordResults"`
}

// parseRecordResults reads {"resultSet":{"errorCount","recordResults"}}, or with bare the same
// without the resultSet wrapper. ok is false for any other shape, including a result without
// success, which must never be read as one.
func parseRecordResults(body []byte, bare bool) ([]recordResult, bool) {
	var ans struct {
		ResultSet *recordResultSet `json:"resultSet"`
		recordResultSet
	}
	if json.Unmarshal(body, &ans) != nil {
		return nil, false
	}
	set := ans.ResultSet
	if set == nil && bare {
		set = &ans.recordResultSet
	}
	if set == nil || set.RecordResults == nil {
		return nil, false
	}
	for _, res := range *set.RecordResults {
		if res.Success == nil {
			return nil, false
		}
	}
	return *set.RecordResults, true
}

func (r recordResult) key() string {
	if k := numberKey(string(r.PhoneNumber)); k != "" {
		return k
	}
	return numberKey(string(r.FormattedPhone))
}

// apply maps results back to contacts by number, never by position: a result for a number not
// sent is ignored, and a record without a result is Transient.
func (b adminBatch) apply(op string, results []recordResult, out []error) {
	pos := make(map[string]int, len(b.records))
	for k, rec := range b.records {
		pos[rec.PhoneNumber] = k
	}
	got := make([]error, len(b.records))
	seen := make([]bool, len(b.records))
	keyless, allOK := true, true
	for _, res := range results {
		key := res.key()
		keyless = keyless && key == ""
		allOK = allOK && *res.Success
		k, ok := pos[key]
		if !ok || (seen[k] && got[k] == nil) {
			continue // unknown number, or a success for it already stands
		}
		seen[k], got[k] = true, recordError(op, res)
	}
	// Results that name no number at all can still confirm a batch in which every record
	// succeeded; a mix cannot be attributed, and guessing could mark a refused number synced.
	numberless := keyless && allOK && len(results) == len(b.records)
	for k := range b.records {
		if !seen[k] && !numberless {
			got[k] = &Error{Kind: Transient, Op: op, Msg: "CXone's answer has no result for the record"}
		}
		setAll(out, b.idx[k], got[k])
	}
}

// recordError classifies one record's result. "invalid" is the number's own fault and final;
// anything else may pass on a retry.
func recordError(op string, res recordResult) error {
	if *res.Success {
		return nil
	}
	msg := strings.ToLower(res.Error)
	switch {
	case op == "remove" && strings.Contains(msg, "not found"):
		return nil
	case strings.Contains(msg, "invalid"):
		return &Error{Kind: Permanent, Op: op, Msg: "CXone refused the number: " + shortText(res.Error)}
	}
	text := shortText(res.Error)
	if text == "" {
		text = "no reason given"
	}
	return &Error{Kind: Transient, Op: op, Msg: "CXone did not apply the record: " + text, Record: true}
}
