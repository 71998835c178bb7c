package cxone

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// MaxListPage is the most records one list call returns.
const MaxListPage = 100

// Record is one record of the DNC group.
type Record struct {
	Number         string // E.164, rebuilt from CXone's digits; "" if it held none
	PhoneNumber    string // as CXone stores it
	FormattedPhone string
	DateCollected  time.Time // zero when absent or in a format not understood
	ExpiredDate    time.Time // zero: no expiry
	LastUpdateTime time.Time
}

// Active reports whether the record still blocks calls at now: removing a number only expires its
// record, which the group may go on listing.
func (r Record) Active(now time.Time) bool {
	return r.ExpiredDate.IsZero() || r.ExpiredDate.After(now)
}

type dncRecord struct {
	PhoneNumber    flexString `json:"phoneNumber"`
	FormattedPhone flexString `json:"formattedPhone"`
	DateCollected  string     `json:"dateCollected"`
	ExpiredDate    string     `json:"expiredDate"`
	LastUpdateTime string     `json:"lastUpdateTime"`
}

// ListRecords returns one page of the group's records (top is capped at MaxListPage) and how many
// records the group holds.
func (a *Admin) ListRecords(ctx context.Context, skip, top int) (records []Record, total int, err error) {
	skip = max(skip, 0)
	if top <= 0 || top > MaxListPage {
		top = MaxListPage
	}
	u, err := a.recordsURL(ctx, "list")
	if err != nil {
		return nil, 0, err
	}
	r, err := a.c.do(ctx, "list", http.MethodGet, u+pageQuery(skip, top), nil)
	if err != nil {
		return nil, 0, err
	}
	switch r.status {
	case http.StatusOK:
	case http.StatusNoContent:
		return nil, skip, nil // the Admin API's way of saying "no records here"
	default:
		return nil, 0, statusError("list", r)
	}
	var ans struct {
		ResultSet *struct {
			TotalRecords *int            `json:"totalRecords"`
			DNCRecords   json.RawMessage `json:"dncRecords"`
		} `json:"resultSet"`
	}
	var recs []dncRecord
	if json.Unmarshal(r.body, &ans) != nil || ans.ResultSet == nil || ans.ResultSet.TotalRecords == nil ||
		len(ans.ResultSet.DNCRecords) == 0 || json.Unmarshal(ans.ResultSet.DNCRecords, &recs) != nil {
		return nil, 0, unexpected("list", r)
	}
	records = make([]Record, len(recs))
	for i, d := range recs {
		records[i] = Record{
			Number:         digitsToE164(string(d.PhoneNumber)),
			PhoneNumber:    string(d.PhoneNumber),
			FormattedPhone: string(d.FormattedPhone),
			DateCollected:  parseAdminTime(d.DateCollected),
			ExpiredDate:    parseAdminTime(d.ExpiredDate),
			LastUpdateTime: parseAdminTime(d.LastUpdateTime),
		}
	}
	return records, *ans.ResultSet.TotalRecords, nil
}

// maxRateLimitedPages bounds how often AllNumbers retries one page after a 429.
const maxRateLimitedPages = 8

// AllNumbers returns the E.164 numbers of the group's active records, sorted and unique, reading
// it a page at a time through the pacer. A 429 is retried: the pacer holds the next request until
// its pause ends.
func (a *Admin) AllNumbers(ctx context.Context) ([]string, error) {
	now := a.now()
	seen := make(map[string]bool)
	var out []string
	for skip, limited := 0, 0; ; {
		recs, total, err := a.ListRecords(ctx, skip, MaxListPage)
		if KindOf(err) == RateLimited && limited < maxRateLimitedPages && ctx.Err() == nil {
			limited++
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list the DNC group's records from %d: %w", skip, err)
		}
		limited = 0
		for _, r := range recs {
			if r.Number != "" && r.Active(now) && !seen[r.Number] {
				seen[r.Number] = true
				out = append(out, r.Number)
			}
		}
		skip += len(recs)
		// Stop on an empty page too, in case totalRecords overstates: the loop must end.
		if len(recs) == 0 || skip >= total {
			break
		}
	}
	slices.Sort(out)
	return out, nil
}

// SearchResult is one DNC group that holds the number searched for.
type SearchResult struct {
	GroupID        string // dncGroupId
	GroupName      string
	PhoneNumber    string
	FormattedPhone string
	DateCollected  time.Time
	ExpiredDate    time.Time // zero: no expiry
	LastUpdateTime time.Time
}

// Active reports whether the number is still blocked by this group at now.
func (s SearchResult) Active(now time.Time) bool {
	return s.ExpiredDate.IsZero() || s.ExpiredDate.After(now)
}

// Search returns the DNC groups (of any group, not only CXONE_DNC_GROUP_ID) that hold e164.
func (a *Admin) Search(ctx context.Context, e164 string) ([]SearchResult, error) {
	d, e := adminDigits("search", e164)
	if e != nil {
		return nil, e
	}
	s, err := a.servicesURL(ctx)
	if err != nil {
		return nil, err
	}
	u := s + "/dnc-groups/search?" + url.Values{"phoneNumber": {d}}.Encode()
	r, err := a.c.do(ctx, "search", http.MethodPost, u, nil)
	if err != nil {
		// A transport error quotes the URL, whose query is the number.
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			ue.URL = redactNumbers(ue.URL)
		}
		return nil, err
	}
	switch r.status {
	case http.StatusOK:
	case http.StatusNoContent:
		return nil, nil // no group holds it
	default:
		return nil, statusError("search", r)
	}
	var ans struct {
		SearchResults json.RawMessage `json:"searchResults"`
	}
	var found []struct {
		GroupID        flexString `json:"dncGroupId"`
		GroupName      string     `json:"dncGroupName"`
		PhoneNumber    flexString `json:"phoneNumber"`
		FormattedPhone flexString `json:"formattedPhone"`
		DateCollected  string     `json:"dateCollected"`
		ExpiredDate    string     `json:"expiredDate"`
		LastUpdateTime string     `json:"lastUpdateTime"`
	}
	if json.Unmarshal(r.body, &ans) != nil || len(ans.SearchResults) == 0 ||
		json.Unmarshal(ans.SearchResults, &found) != nil {
		return nil, unexpected("search", r)
	}
	out := make([]SearchResult, len(found))
	for i, f := range found {
		out[i] = SearchResult{GroupID: string(f.GroupID), GroupName: f.GroupName,
			PhoneNumber: string(f.PhoneNumber), FormattedPhone: string(f.FormattedPhone),
			DateCollected: parseAdminTime(f.DateCollected), ExpiredDate: parseAdminTime(f.ExpiredDate),
			LastUpdateTime: parseAdminTime(f.LastUpdateTime)}
	}
	return out, nil
}

// adminTimeLayouts are the date forms the Admin API is seen to use; times without a zone are UTC.
var adminTimeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05", "2006-01-02"}

// parseAdminTime reads a date; zero when empty or not understood, since a listing should not fail
// on one odd date.
func parseAdminTime(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	for _, l := range adminTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t
		}
	}
	return time.Time{}
}
