package cxonesim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// adminMaxTop is the largest page the list call serves.
const adminMaxTop = 100

type adminDNCRecord struct {
	PhoneNumber    string  `json:"phoneNumber"`
	FormattedPhone string  `json:"formattedPhone"`
	DateCollected  string  `json:"dateCollected"`
	ExpiredDate    *string `json:"expiredDate"` // null: none given
	LastUpdateTime string  `json:"lastUpdateTime"`
}

// adminList pages through the group, ordered by the wire digits so pages
// are stable while the group does not change. top defaults to 100 and must
// lie in 1..100; skip defaults to 0.
func (s *Server) adminList(r *http.Request, _ string) reply {
	groupID := r.PathValue("groupId")
	listID, ok := s.groupList(groupID)
	if !ok {
		return errorReply(http.StatusNotFound, "DNC group %q not found", groupID)
	}
	q := r.URL.Query()
	skip, err := queryInt(q, "skip", 0)
	if err != nil || skip < 0 {
		return errorReply(http.StatusBadRequest, "skip must be a non-negative integer")
	}
	top, err := queryInt(q, "top", adminMaxTop)
	if err != nil || top < 1 || top > adminMaxTop {
		return errorReply(http.StatusBadRequest, "top must be an integer from 1 to %d", adminMaxTop)
	}

	s.mu.Lock()
	list := s.lists.list(listID)
	all := make([]adminDNCRecord, 0, len(list))
	for _, e := range list {
		digits := e164ToAdmin(e.Number)
		all = append(all, adminDNCRecord{
			PhoneNumber:    digits,
			FormattedPhone: formattedPhone(digits),
			DateCollected:  wireTime(e.AddedAt),
			ExpiredDate:    wireExpiry(e.ExpiresAt),
			LastUpdateTime: wireTime(e.UpdatedAt),
		})
	}
	s.mu.Unlock()
	slices.SortFunc(all, func(a, b adminDNCRecord) int { return strings.Compare(a.PhoneNumber, b.PhoneNumber) })
	start := min(skip, len(all))
	page := all[start : start+min(top, len(all)-start)]
	type resultSet struct {
		TotalRecords int              `json:"totalRecords"`
		DNCRecords   []adminDNCRecord `json:"dncRecords"`
	}
	return jsonReply(http.StatusOK, struct {
		ResultSet resultSet `json:"resultSet"`
	}{resultSet{len(all), page}})
}

type adminSearchResult struct {
	GroupID     any     `json:"dncGroupId"` // a JSON number when the ID is numeric
	GroupName   string  `json:"dncGroupName"`
	PhoneNumber string  `json:"phoneNumber"`
	ExpiredDate *string `json:"expiredDate"`
}

// adminSearch finds the groups a number is on: the one group, or none.
func (s *Server) adminSearch(r *http.Request, _ string) reply {
	digits := r.URL.Query().Get("phoneNumber")
	n, ok := adminToE164(digits)
	if !ok {
		return errorReply(http.StatusBadRequest, "%s %q", errInvalidPhone, digits)
	}
	results := []adminSearchResult{}
	s.mu.Lock()
	e, found := s.lists.list(s.cfg.ListID)[n]
	if found {
		results = append(results, adminSearchResult{
			GroupID:     groupIDJSON(s.cfg.DNCGroupID),
			GroupName:   s.cfg.DNCGroupName,
			PhoneNumber: digits,
			ExpiredDate: wireExpiry(e.ExpiresAt),
		})
	}
	s.mu.Unlock()
	return jsonReply(http.StatusOK, struct {
		SearchResults []adminSearchResult `json:"searchResults"`
	}{results})
}

// queryInt reads an optional integer query parameter.
func queryInt(q url.Values, key string, def int) (int, error) {
	if !q.Has(key) {
		return def, nil
	}
	return strconv.Atoi(q.Get(key))
}

// groupIDJSON renders a group ID the way the vendor does, as a number,
// unless it is not one.
func groupIDJSON(id string) any {
	if v, err := strconv.ParseUint(id, 10, 63); err == nil && strconv.FormatUint(v, 10) == id {
		return json.Number(id)
	}
	return id
}

func wireTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func wireExpiry(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := wireTime(t)
	return &s
}
