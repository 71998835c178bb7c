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

// adminOrderFields are the fields orderBy may name ("field" or "field asc|desc").
var adminOrderFields = map[string]func(a, b adminDNCRecord) int{
	"phoneNumber":    func(a, b adminDNCRecord) int { return strings.Compare(a.PhoneNumber, b.PhoneNumber) },
	"dateCollected":  func(a, b adminDNCRecord) int { return strings.Compare(a.DateCollected, b.DateCollected) },
	"lastUpdateTime": func(a, b adminDNCRecord) int { return strings.Compare(a.LastUpdateTime, b.LastUpdateTime) },
	"expiredDate":    func(a, b adminDNCRecord) int { return strings.Compare(deref(a.ExpiredDate), deref(b.ExpiredDate)) },
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// adminList pages through the group: skip (default 0), top (1..100, default
// 100), orderBy ("field [asc|desc]", default the number), fields (ignored).
// Ties sort by number, so pages are stable while the group does not change.
// The spec makes every field of the answer optional: it carries no
// totalRecords, and a page with no records is a 204. Lenient mode answers
// totalRecords and an empty page as 200.
func (s *Server) adminList(r *http.Request, _ string) reply {
	groupID := r.PathValue("groupId")
	listID, ok := s.groupList(groupID)
	if !ok {
		return s.adminError(http.StatusNotFound, "DNC group %s not found", groupID)
	}
	q := r.URL.Query()
	skip, err := queryInt(q, "skip", 0)
	if err != nil || skip < 0 {
		return s.adminError(http.StatusBadRequest, "skip must be a non-negative integer")
	}
	top, err := queryInt(q, "top", adminMaxTop)
	if err != nil || top < 1 || top > adminMaxTop {
		return s.adminError(http.StatusBadRequest, "top must be an integer from 1 to %d", adminMaxTop)
	}
	order := adminOrderFields["phoneNumber"]
	if o := strings.Fields(q.Get("orderBy")); len(o) > 0 {
		cmp, known := adminOrderFields[o[0]]
		if !known || len(o) > 2 || (len(o) == 2 && !strings.EqualFold(o[1], "asc") && !strings.EqualFold(o[1], "desc")) {
			return s.adminError(http.StatusBadRequest, "Invalid orderBy %q", q.Get("orderBy"))
		}
		order = cmp
		if len(o) == 2 && strings.EqualFold(o[1], "desc") {
			order = func(a, b adminDNCRecord) int { return cmp(b, a) }
		}
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
			ExpiredDate:    s.wireExpiry(e.ExpiresAt),
			LastUpdateTime: wireTime(e.UpdatedAt),
		})
	}
	s.mu.Unlock()
	slices.SortFunc(all, func(a, b adminDNCRecord) int {
		if c := order(a, b); c != 0 {
			return c
		}
		return strings.Compare(a.PhoneNumber, b.PhoneNumber)
	})
	start := min(skip, len(all))
	page := all[start : start+min(top, len(all)-start)]
	if !s.cfg.Lenient {
		if len(page) == 0 {
			return emptyReply(http.StatusNoContent)
		}
		type resultSet struct {
			DNCRecords []adminDNCRecord `json:"dncRecords"`
		}
		return jsonReply(http.StatusOK, struct {
			ResultSet resultSet `json:"resultSet"`
		}{resultSet{page}})
	}
	type resultSet struct {
		TotalRecords int              `json:"totalRecords"`
		DNCRecords   []adminDNCRecord `json:"dncRecords"`
	}
	return jsonReply(http.StatusOK, struct {
		ResultSet resultSet `json:"resultSet"`
	}{resultSet{len(all), page}})
}

// adminSearchResult is the spec's search result (calljacob/nice-cxone-api
// AdminListsService.ts getSearchDNCGroupsResponse): no phoneNumber, which only
// lenient mode adds.
type adminSearchResult struct {
	GroupID          any     `json:"dncGroupId"` // a JSON number when the ID is numeric
	GroupName        string  `json:"dncGroupName"`
	GroupDescription string  `json:"dncGroupDescription"`
	PhoneNumber      string  `json:"phoneNumber,omitempty"`
	FormattedPhone   string  `json:"formattedPhone"`
	ExpiredDate      *string `json:"expiredDate"`
	DateCollected    string  `json:"dateCollected"`
	LastUpdateTime   string  `json:"lastUpdateTime"`
}

// adminSearch finds the groups a number is on: the one group, or none (a 204;
// lenient: 200 with an empty list).
func (s *Server) adminSearch(r *http.Request, _ string) reply {
	digits := r.URL.Query().Get("phoneNumber")
	n, ok := adminToE164(digits)
	if !ok {
		return s.adminError(http.StatusBadRequest, "%s %q", errInvalidPhone, digits)
	}
	results := []adminSearchResult{}
	s.mu.Lock()
	e, found := s.lists.list(s.cfg.ListID)[n]
	if found {
		res := adminSearchResult{
			GroupID:        groupIDJSON(s.cfg.DNCGroupID),
			GroupName:      s.cfg.DNCGroupName,
			FormattedPhone: formattedPhone(digits),
			ExpiredDate:    s.wireExpiry(e.ExpiresAt),
			DateCollected:  wireTime(e.AddedAt),
			LastUpdateTime: wireTime(e.UpdatedAt),
		}
		if s.cfg.Lenient {
			res.PhoneNumber = digits
		}
		results = append(results, res)
	}
	s.mu.Unlock()
	if len(results) == 0 && !s.cfg.Lenient {
		return emptyReply(http.StatusNoContent)
	}
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
