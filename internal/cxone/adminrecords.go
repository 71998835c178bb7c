package cxone

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/phone"
)

// adminRecord is one element of dncGroupRecords in a records POST or DELETE body:
// {"phoneNumber", "expiredDate"?} (calljacob/nice-cxone-api
// src/services/admin/AdminListsService.ts createDncGroupRecords and deleteDncGroupRecords).
type adminRecord struct {
	PhoneNumber wirePhone `json:"phoneNumber"`
	ExpiredDate string    `json:"expiredDate,omitempty"`
}

type adminRecords struct {
	DNCGroupRecords []adminRecord `json:"dncGroupRecords"`
}

// wirePhone is a number's digits, sent as a JSON number or a JSON string (see PhoneJSONSpec).
// The digits come from adminDigits: 7 to 15 digits without a leading zero, so they are always a
// valid JSON number and fit an int64.
type wirePhone struct {
	digits string
	number bool
}

func (p wirePhone) MarshalJSON() ([]byte, error) {
	if p.number {
		return []byte(p.digits), nil
	}
	return json.Marshal(p.digits)
}

// phoneAsNumber says whether op's body carries phoneNumber as a JSON number.
func (a *Admin) phoneAsNumber(op string) bool {
	switch a.cfg.PhoneJSON {
	case PhoneJSONNumber:
		return true
	case PhoneJSONString:
		return false
	}
	return op == "add" // the spec: a number in POST, a string in DELETE
}

// expiredDateLayout is how expiredDate travels: MM/DD/YYYY. The spec types it only as a string;
// the one public source that shows a value is NICE's own API tests, which send the date as
// MM/DD/YYYY in both the records POST and DELETE bodies (walterplaza/protractor
// src/apis/admin/calling-dnc-group-management/calling-dnc-group-management-v12.ts, with the value
// from Utility.getNowDate("/", 0) in src/utilities/general/utility.ts).
const expiredDateLayout = "01/02/2006"

// wireExpiredDate renders an expiry as a date. A date says no time of day, and CXone may read it
// in the business unit's time zone (UTC-12 to UTC+14): so the date sent is the day after the UTC
// day t falls in ends. The record then blocks calls until t in every time zone, and at most about
// two and a half days longer; an opt-out is never shortened. covered is what the date guarantees
// everywhere, t rounded up to midnight UTC: the expiry reported as sent, so that sending covered
// again (a resync) sends the same date.
func wireExpiredDate(t time.Time) (date string, covered time.Time) {
	u := t.UTC()
	day := time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
	if day.Before(u) {
		day = day.AddDate(0, 0, 1)
	}
	return day.AddDate(0, 0, 1).Format(expiredDateLayout), day
}

// adminBatch is one request: records deduplicated by digits (two contacts can share them, e.g.
// "+14155552671" twice), each with the contacts it stands for.
type adminBatch struct {
	digits  []string    // per record
	expires []time.Time // per record; zero: no expiredDate
	idx     [][]int     // per record: the contacts it stands for
}

// Add puts the contacts in the DNC group. CXone answers per record, so one refused number does not
// fail the others.
func (a *Admin) Add(ctx context.Context, contacts []Contact) []error {
	return a.write(ctx, "add", http.MethodPost, contacts)
}

// Remove expires the contacts' records; a number that was not in the group is a success.
func (a *Admin) Remove(ctx context.Context, contacts []Contact) []error {
	return a.write(ctx, "remove", http.MethodDelete, contacts)
}

func (a *Admin) write(ctx context.Context, op, method string, contacts []Contact) []error {
	out := make([]error, len(contacts))
	b := a.batch(op, contacts, out)
	if len(b.digits) > 0 {
		a.send(ctx, op, method, b, out, &destination.Probe{})
	}
	return out
}

// batch builds the request; numbers the Admin API cannot name get a Permanent error in out.
func (a *Admin) batch(op string, contacts []Contact, out []error) adminBatch {
	var b adminBatch
	pos := make(map[string]int, len(contacts))
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
			k = len(b.digits)
			pos[d] = k
			b.digits = append(b.digits, d)
			b.expires = append(b.expires, e)
			b.idx = append(b.idx, nil)
		} else if !b.expires[k].IsZero() && (e.IsZero() || e.After(b.expires[k])) {
			b.expires[k] = e // the longest block wins: never shorten an opt-out
		}
		b.idx[k] = append(b.idx[k], i)
	}
	if op == "add" {
		// Client.Add reports the expiry sent, for the evidence.
		for k, e := range b.expires {
			if !e.IsZero() {
				_, e = wireExpiredDate(e)
			}
			for _, i := range b.idx[k] {
				contacts[i].ExpiresAt = e
			}
		}
	}
	return b
}

// body renders b as op's request body.
func (a *Admin) body(op string, b adminBatch) adminRecords {
	recs := make([]adminRecord, len(b.digits))
	num := a.phoneAsNumber(op)
	for k, d := range b.digits {
		recs[k].PhoneNumber = wirePhone{digits: d, number: num}
		if !b.expires[k].IsZero() {
			recs[k].ExpiredDate, _ = wireExpiredDate(b.expires[k])
		}
	}
	return adminRecords{recs}
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
	return adminBatch{digits: b.digits[lo:hi], expires: b.expires[lo:hi], idx: b.idx[lo:hi]}
}

func (b adminBatch) setAll(out []error, err error) {
	for _, is := range b.idx {
		setAll(out, is, err)
	}
}

func (a *Admin) send(ctx context.Context, op, method string, b adminBatch, out []error, probe *destination.Probe) {
	if probe.Exhausted() {
		b.setAll(out, destination.Unsent("", op))
		return
	}
	u, err := a.recordsURL(ctx, op)
	if err != nil {
		b.setAll(out, err)
		return
	}
	r, err := a.c.do(ctx, op, method, u, a.body(op, b))
	if err != nil {
		b.setAll(out, err)
		return
	}
	switch {
	case r.Status/100 == 2:
		results, ok := parseRecordResults(r.Body)
		if !ok {
			b.setAll(out, unexpected(op, r))
			return
		}
		probe.Accepted()
		b.apply(op, results, out)
	case (r.Status == http.StatusBadRequest || r.Status == http.StatusUnprocessableEntity) && len(b.digits) > 1:
		// A whole-batch refusal may be one bad number: halve so that it cannot fail the others.
		h := len(b.digits) / 2
		a.send(ctx, op, method, b.sub(0, h), out, probe)
		a.send(ctx, op, method, b.sub(h, len(b.digits)), out, probe)
	default:
		err := statusError(op, r)
		if err.Kind == Refused {
			probe.Refused()
		}
		b.setAll(out, err)
	}
}

// recordResult is one element of recordResults. The spec's DELETE answer names only success,
// error and formattedPhone, and its POST answer leaves the elements untyped (calljacob/nice-cxone-api
// src/services/admin/AdminListsService.ts): phoneNumber may be missing, and formattedPhone may be
// punctuated or carry the country code.
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

// parseRecordResults reads {"resultSet":{"errorCount","recordResults"}} (the spec's POST answer)
// or the same without the resultSet wrapper (its DELETE answer), for either operation. ok is
// false for any other shape, including a result without success, which must never be read as one.
func parseRecordResults(body []byte) ([]recordResult, bool) {
	var ans struct {
		ResultSet *recordResultSet `json:"resultSet"`
		recordResultSet
	}
	if json.Unmarshal(body, &ans) != nil {
		return nil, false
	}
	set := ans.ResultSet
	if set == nil {
		set = &ans.recordResultSet
	}
	if set.RecordResults == nil {
		return nil, false
	}
	for _, res := range *set.RecordResults {
		if res.Success == nil {
			return nil, false
		}
	}
	return *set.RecordResults, true
}

// key is the digits the result names (phoneNumber, else formattedPhone), or "".
func (r recordResult) key() string {
	if k := numberKey(string(r.PhoneNumber)); k != "" {
		return k
	}
	return numberKey(string(r.FormattedPhone))
}

// apply maps results back to records: by position when there is one result per record and none
// names another record's number, else by the digits each result names. A record no result can be
// matched to is Transient, never a success.
func (b adminBatch) apply(op string, results []recordResult, out []error) {
	n := len(b.digits)
	got := make([]error, n)
	seen := make([]bool, n)
	if len(results) == n && b.inOrder(results) {
		for k, res := range results {
			seen[k], got[k] = true, recordError(op, res)
		}
	} else {
		pos := make(map[string]int, n)
		for k, d := range b.digits {
			pos[d] = k
		}
		for _, res := range results {
			k, ok := pos[res.key()]
			if !ok || (seen[k] && got[k] == nil) {
				continue // names no record sent (or none), or a success for it already stands
			}
			seen[k], got[k] = true, recordError(op, res)
		}
	}
	for k := range n {
		if !seen[k] {
			got[k] = &Error{Kind: Transient, Op: op, Msg: "CXone's answer has no result that can be matched to the record"}
		}
		setAll(out, b.idx[k], got[k])
	}
}

// inOrder reports whether no result names a number other than the record at its position.
func (b adminBatch) inOrder(results []recordResult) bool {
	for k, res := range results {
		if key := res.key(); key != "" && key != b.digits[k] {
			return false
		}
	}
	return true
}

// recordError classifies one record's result. An invalid date is the request's fault (the
// expiredDate format), not the number's: Config, so that no number is dead-lettered for it.
// Another "invalid" is Refused: "Invalid phone number" would read the same for a phoneNumber of
// the wrong JSON type (CXONE_PHONE_JSON), so the pusher decides whose fault it is. Anything else
// may pass on a retry.
func recordError(op string, res recordResult) error {
	if *res.Success {
		return nil
	}
	msg := strings.ToLower(res.Error)
	switch {
	case op == "remove" && strings.Contains(msg, "not found"):
		return nil
	case strings.Contains(msg, "date"):
		return &Error{Kind: Config, Op: op, Record: true,
			Msg: "CXone refused the record's expiredDate (sent as MM/DD/YYYY): " + destination.ShortText(res.Error)}
	case strings.Contains(msg, "invalid"):
		return &Error{Kind: Refused, Op: op, Record: true, Msg: "CXone refused the number: " + destination.ShortText(res.Error)}
	}
	text := destination.ShortText(res.Error)
	if text == "" {
		text = "no reason given"
	}
	return &Error{Kind: Transient, Op: op, Msg: "CXone did not apply the record: " + text, Record: true}
}
