package cxone

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
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
	// ExpiryUnread is an expiredDate given in a shape dncsync does not read (ExpiredDate is then
	// zero): the record counts as expired, so that reconcile re-adds the number rather than trust
	// an end it cannot read to be "never".
	ExpiryUnread   bool
	LastUpdateTime time.Time
}

// Active reports whether the record still blocks calls at now: removing a number only expires its
// record, which the group may go on listing. A record whose expiredDate could not be read is not.
func (r Record) Active(now time.Time) bool {
	return !r.ExpiryUnread && (r.ExpiredDate.IsZero() || r.ExpiredDate.After(now))
}

type dncRecord struct {
	PhoneNumber    flexString `json:"phoneNumber"`
	FormattedPhone flexString `json:"formattedPhone"`
	DateCollected  string     `json:"dateCollected"`
	ExpiredDate    string     `json:"expiredDate"`
	LastUpdateTime string     `json:"lastUpdateTime"`
}

// listOrder sorts list pages by the number, which is unique, so the order is total and a record
// added while paging only shifts later pages (a record read twice, none skipped). The query names
// (skip, top, orderBy) are those of NICE's own API tests (walterplaza/protractor
// src/apis/admin/calling-dnc-group-management/calling-dnc-group-management-v12.ts
// returnsRecordsInADncGroup); "field asc" is the form singer-io/tap-nice-incontact
// tap_nice_incontact/streams.py sends.
const listOrder = "phoneNumber asc"

// listSet is the part of a list answer that carries records. The spec makes every field optional
// ({"resultSet":{"totalRecords"?,"dncRecords"?}}, calljacob/nice-cxone-api
// src/services/admin/AdminListsService.ts); outboundani/cxone-mcp src/tools.js get_dnc_group reads
// the records as dncGroupRecords, with or without resultSet, so those are read too.
type listSet struct {
	TotalRecords    *flexString     `json:"totalRecords"`
	DNCRecords      json.RawMessage `json:"dncRecords"`
	DNCGroupRecords json.RawMessage `json:"dncGroupRecords"`
}

// ListRecords returns one page of the group's records (top is capped at MaxListPage), ordered by
// number, and how many records the group holds, or -1 when CXone did not say.
func (a *Admin) ListRecords(ctx context.Context, skip, top int) (records []Record, total int, err error) {
	skip = max(skip, 0)
	if top <= 0 || top > MaxListPage {
		top = MaxListPage
	}
	u, err := a.recordsURL(ctx, "list")
	if err != nil {
		return nil, 0, err
	}
	q := url.Values{"skip": {strconv.Itoa(skip)}, "top": {strconv.Itoa(top)}}
	ordered := !a.noOrderBy.Load()
	if ordered {
		q.Set("orderBy", listOrder)
	}
	r, err := a.c.do(ctx, "list", http.MethodGet, u+"?"+q.Encode(), nil)
	if err != nil {
		return nil, 0, err
	}
	switch r.Status {
	case http.StatusOK:
	case http.StatusNoContent:
		return nil, -1, nil // CXone's way of saying "no records here"
	case http.StatusBadRequest:
		if ordered {
			// The tenant refused the ordering: page without it rather than not at all. Pages are
			// then only as stable as CXone's own order.
			a.noOrderBy.Store(true)
			return a.ListRecords(ctx, skip, top)
		}
		return nil, 0, statusError("list", r)
	default:
		return nil, 0, statusError("list", r)
	}
	recs, total, ok := parseList(r.Body)
	if !ok {
		return nil, 0, unexpected("list", r)
	}
	records = make([]Record, len(recs))
	for i, d := range recs {
		n := string(d.PhoneNumber)
		if numberKey(n) == "" {
			n = string(d.FormattedPhone)
		}
		expired, ok := a.expiredDate(d.ExpiredDate)
		records[i] = Record{
			Number:         digitsToE164(n),
			PhoneNumber:    string(d.PhoneNumber),
			FormattedPhone: string(d.FormattedPhone),
			DateCollected:  adminTime(d.DateCollected),
			ExpiredDate:    expired,
			ExpiryUnread:   !ok,
			LastUpdateTime: adminTime(d.LastUpdateTime),
		}
	}
	return records, total, nil
}

// parseList reads a 200 list answer: an empty body or an answer without records is an empty page;
// total is -1 unless totalRecords is a number. ok is false for anything but a JSON object whose
// records, if any, are an array of objects.
func parseList(body []byte) (recs []dncRecord, total int, ok bool) {
	total = -1
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, total, true
	}
	var ans struct {
		ResultSet *listSet `json:"resultSet"`
		listSet
	}
	if json.Unmarshal(body, &ans) != nil {
		return nil, 0, false
	}
	set := ans.ResultSet
	if set == nil {
		set = &ans.listSet
	}
	if set.TotalRecords != nil {
		if n, err := strconv.Atoi(string(*set.TotalRecords)); err == nil && n >= 0 {
			total = n
		}
	}
	raw := set.DNCRecords
	if len(raw) == 0 || string(raw) == "null" {
		raw = set.DNCGroupRecords
	}
	if len(raw) == 0 || string(raw) == "null" {
		return nil, total, true
	}
	if json.Unmarshal(raw, &recs) != nil {
		return nil, 0, false
	}
	return recs, total, true
}

// maxRateLimitedPages bounds how often AllNumbers retries one page after a 429.
const maxRateLimitedPages = 8

// AllNumbers returns the E.164 numbers of the group's active records, sorted and unique, reading
// it a page at a time through the pacer. A 429 is retried: the pacer holds the next request until
// its pause ends. It reads until an empty page (or totalRecords, when CXone gives it): a short
// page is not taken as the last, since CXone may cap a page below the size asked for.
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
		// Stop on an empty page even when totalRecords says more: the loop must end.
		if len(recs) == 0 || (total >= 0 && skip >= total) {
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
	ExpiryUnread   bool      // as Record.ExpiryUnread
	LastUpdateTime time.Time
}

// Active reports whether the number is still blocked by this group at now; not when its
// expiredDate could not be read.
func (s SearchResult) Active(now time.Time) bool {
	return !s.ExpiryUnread && (s.ExpiredDate.IsZero() || s.ExpiredDate.After(now))
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
		return nil, err // a transport error's URL, whose query is the number, is dropped (httpcall)
	}
	switch r.Status {
	case http.StatusOK:
	case http.StatusNoContent:
		return nil, nil // no group holds it
	default:
		return nil, statusError("search", r)
	}
	// {"searchResults":[{"dncGroupId","dncGroupName","formattedPhone","expiredDate",...}]}: the
	// spec names no phoneNumber here (calljacob/nice-cxone-api AdminListsService.ts,
	// getSearchDNCGroupsResponse), so it is read when present and not required.
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
	if json.Unmarshal(r.Body, &ans) != nil || len(ans.SearchResults) == 0 ||
		json.Unmarshal(ans.SearchResults, &found) != nil {
		return nil, unexpected("search", r)
	}
	out := make([]SearchResult, len(found))
	for i, f := range found {
		expired, ok := a.expiredDate(f.ExpiredDate)
		out[i] = SearchResult{GroupID: string(f.GroupID), GroupName: f.GroupName,
			PhoneNumber: string(f.PhoneNumber), FormattedPhone: string(f.FormattedPhone),
			DateCollected: adminTime(f.DateCollected), ExpiredDate: expired, ExpiryUnread: !ok,
			LastUpdateTime: adminTime(f.LastUpdateTime)}
	}
	return out, nil
}
