package cxonesim

import (
	"encoding/json"
	"net/http"
	"time"
)

// adminRecordResult is one record's outcome, in request order.
type adminRecordResult struct {
	Success        bool   `json:"success"`
	PhoneNumber    string `json:"phoneNumber"`
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
	listID, recs, bad := s.adminRecords(r)
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
	listID, recs, bad := s.adminRecords(r)
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
		if !rec.result.Success {
			set.ErrorCount++
		}
	}
	s.stats.RecordErrors += set.ErrorCount
	return set
}

// adminRecords checks the group and the request shape shared by add and
// remove, and parses each record. A non-nil reply refuses the whole request;
// a bad record only fails itself.
func (s *Server) adminRecords(r *http.Request) (listID string, recs []adminRecord, bad *reply) {
	refuse := func(status int, format string, args ...any) (string, []adminRecord, *reply) {
		rep := errorReply(status, format, args...)
		return "", nil, &rep
	}
	groupID := r.PathValue("groupId")
	listID, ok := s.groupList(groupID)
	if !ok {
		return refuse(http.StatusNotFound, "DNC group %q not found", groupID)
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
		recs[i] = parseAdminRecord(raw)
	}
	return listID, recs, nil
}

// parseAdminRecord validates one record, a JSON object (checkKeysEach made
// sure) with at most phoneNumber and expiredDate.
func parseAdminRecord(raw json.RawMessage) adminRecord {
	var rec adminRecord
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(raw, &fields)
	var digits string
	if err := json.Unmarshal(fields["phoneNumber"], &digits); err != nil { // missing or not a string
		rec.result.Error = errInvalidPhone
		return rec
	}
	rec.result.PhoneNumber = digits
	n, ok := adminToE164(digits)
	if !ok {
		rec.result.Error = errInvalidPhone
		return rec
	}
	rec.result.FormattedPhone = formattedPhone(digits)
	if rec.expires, ok = parseExpiredDate(fields["expiredDate"]); !ok {
		rec.result.Error = errInvalidExpired
		return rec
	}
	rec.number = n
	rec.result.Success = true
	return rec
}

// parseExpiredDate reads an optional RFC 3339 expiredDate; absent or null is
// the zero time (no expiry).
func parseExpiredDate(raw json.RawMessage) (time.Time, bool) {
	if raw == nil || string(raw) == "null" {
		return time.Time{}, true
	}
	var str string
	if json.Unmarshal(raw, &str) != nil {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, str)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}
