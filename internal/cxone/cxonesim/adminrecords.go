package cxonesim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"
)

// adminRecordResult is one record's outcome, in request order: success,
// error and formattedPhone, as the spec's DELETE answer names them
// (calljacob/nice-cxone-api src/services/admin/AdminListsService.ts). Only
// lenient mode echoes phoneNumber.
type adminRecordResult struct {
	Success        bool   `json:"success"`
	PhoneNumber    string `json:"phoneNumber,omitempty"`
	FormattedPhone string `json:"formattedPhone"`
	Error          string `json:"error"`
}

type adminResultSet struct {
	ErrorCount    int                 `json:"errorCount"`
	RecordResults []adminRecordResult `json:"recordResults"`
}

// Per-record error strings.
const (
	errInvalidPhone   = "Invalid phone number"
	errInvalidExpired = "Invalid expiredDate"
)

// adminRecord is one parsed dncGroupRecords element. A record that failed
// validation has result.Error set and is not applied.
type adminRecord struct {
	result  adminRecordResult
	number  string    // E.164
	expires time.Time // zero: no expiredDate
}

// adminAdd puts each valid record on the group, or updates its expiredDate if
// already there; invalid records fail on their own.
func (s *Server) adminAdd(r *http.Request, _ string) reply {
	listID, recs, bad := s.adminRecords(r, true)
	if bad != nil {
		return *bad
	}
	now := s.now()
	s.mu.Lock()
	list := s.lists.list(listID)
	var changes []Change
	for _, rec := range recs {
		if rec.result.Error != "" {
			continue
		}
		c := s.lists.upsert(list, rec.number, now, func(e *Entry) { e.ExpiresAt = rec.expires })
		if c.Op == OpAdd {
			s.stats.Added++
		} else {
			s.stats.Updated++
		}
		changes = append(changes, c)
	}
	set := s.resultSet(recs)
	s.unlockNotify(changes)
	return jsonReply(http.StatusOK, struct {
		ResultSet adminResultSet `json:"resultSet"`
	}{set})
}

// adminRemove takes each valid record off the group; one that is not there
// is a success too. The answer is not wrapped in resultSet.
func (s *Server) adminRemove(r *http.Request, _ string) reply {
	listID, recs, bad := s.adminRecords(r, false)
	if bad != nil {
		return *bad
	}
	now := s.now()
	s.mu.Lock()
	list := s.lists.list(listID)
	var changes []Change
	for _, rec := range recs {
		if rec.result.Error != "" {
			continue
		}
		if c, ok := s.lists.remove(list, rec.number, now); ok {
			s.stats.Removes++
			changes = append(changes, c)
		}
	}
	set := s.resultSet(recs)
	s.unlockNotify(changes)
	return jsonReply(http.StatusOK, set)
}

// resultSet collects the per-record outcomes. Caller holds s.mu.
func (s *Server) resultSet(recs []adminRecord) adminResultSet {
	set := adminResultSet{RecordResults: make([]adminRecordResult, len(recs))}
	for i, rec := range recs {
		set.RecordResults[i] = rec.result
		if !s.cfg.Lenient {
			set.RecordResults[i].PhoneNumber = ""
		}
		if !rec.result.Success {
			set.ErrorCount++
		}
	}
	s.stats.RecordErrors += set.ErrorCount
	return set
}

// adminRecords checks the group and the request shape shared by add and
// remove, and parses each record. A non-nil reply refuses the whole request;
// a bad record only fails itself. phoneNumber must have the spec's JSON type:
// a number in POST (add), a string in DELETE; lenient mode takes either.
func (s *Server) adminRecords(r *http.Request, add bool) (listID string, recs []adminRecord, bad *reply) {
	refuse := func(status int, format string, args ...any) (string, []adminRecord, *reply) {
		rep := s.adminError(status, format, args...)
		return "", nil, &rep
	}
	groupID := r.PathValue("groupId")
	listID, ok := s.groupList(groupID)
	if !ok {
		return refuse(http.StatusNotFound, "DNC group %s not found", groupID)
	}
	body, bad := readJSONBody(r)
	if bad != nil {
		return "", nil, bad
	}
	if err := checkKeys(body, "dncGroupRecords"); err != nil {
		return refuse(http.StatusBadRequest, "%v", err)
	}
	if err := checkKeysEach(body, "dncGroupRecords", "phoneNumber", "expiredDate"); err != nil {
		return refuse(http.StatusBadRequest, "%v", err)
	}
	var req struct {
		Records []json.RawMessage `json:"dncGroupRecords"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return refuse(http.StatusBadRequest, "invalid JSON: %v", err)
	}
	switch n := len(req.Records); {
	case n == 0:
		return refuse(http.StatusBadRequest, "dncGroupRecords must not be empty")
	case n > s.cfg.AdminMaxBatch:
		return refuse(http.StatusBadRequest, "too many dncGroupRecords: %d > %d", n, s.cfg.AdminMaxBatch)
	}
	recs = make([]adminRecord, len(req.Records))
	for i, raw := range req.Records {
		var fields map[string]json.RawMessage
		_ = json.Unmarshal(raw, &fields) // checkKeysEach made sure it is an object
		p := bytes.TrimSpace(fields["phoneNumber"])
		isString := len(p) > 0 && p[0] == '"'
		if !s.cfg.Lenient && len(p) > 0 && isString == add {
			want := "a string"
			if add {
				want = "a number"
			}
			return refuse(http.StatusBadRequest, "dncGroupRecords[%d].phoneNumber must be %s", i, want)
		}
		recs[i] = s.parseAdminRecord(p, fields["expiredDate"])
	}
	return listID, recs, nil
}

// parseAdminRecord validates one record's phoneNumber (a JSON string or a
// JSON number of digits) and optional expiredDate.
func (s *Server) parseAdminRecord(phone, expired json.RawMessage) adminRecord {
	var rec adminRecord
	digits, ok := phoneDigits(phone)
	if !ok {
		rec.result.Error = errInvalidPhone
		return rec
	}
	rec.result.PhoneNumber = digits
	n, ok := adminToE164(digits)
	if !ok || s.refused(n) {
		rec.result.Error = errInvalidPhone
		return rec
	}
	rec.result.FormattedPhone = formattedPhone(digits)
	if rec.expires, ok = s.parseExpiredDate(expired); !ok {
		rec.result.Error = errInvalidExpired
		return rec
	}
	rec.number = n
	rec.result.Success = true
	return rec
}

// phoneDigits reads phoneNumber as text: a JSON string, or a JSON number
// written as plain digits (no sign, fraction or exponent).
func phoneDigits(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 {
		return "", false
	}
	if raw[0] == '"' {
		var d string
		err := json.Unmarshal(raw, &d)
		return d, err == nil
	}
	for _, c := range raw {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return string(raw), true
}

// expiredDateLayout is the form NICE's own API tests send expiredDate in
// (walterplaza/protractor calling-dnc-group-management-v12.ts, with
// Utility.getNowDate("/") from src/utilities/general/utility.ts): MM/DD/YYYY.
const expiredDateLayout = "01/02/2006"

// parseExpiredDate reads an optional expiredDate, MM/DD/YYYY (lenient: or
// RFC 3339); the date is taken as its start in UTC. Absent or null is the
// zero time (no expiry).
func (s *Server) parseExpiredDate(raw json.RawMessage) (time.Time, bool) {
	if raw == nil || string(raw) == "null" {
		return time.Time{}, true
	}
	var str string
	if json.Unmarshal(raw, &str) != nil {
		return time.Time{}, false
	}
	if t, err := time.Parse(expiredDateLayout, str); err == nil {
		return t, true
	}
	if !s.cfg.Lenient {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, str)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}
