package cxonesim

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

type listPage struct {
	ResultSet struct {
		TotalRecords *int `json:"totalRecords"`
		DNCRecords   []struct {
			PhoneNumber    string  `json:"phoneNumber"`
			FormattedPhone string  `json:"formattedPhone"`
			DateCollected  string  `json:"dateCollected"`
			ExpiredDate    *string `json:"expiredDate"`
			LastUpdateTime string  `json:"lastUpdateTime"`
		} `json:"dncRecords"`
	} `json:"resultSet"`
}

func (e *env) listPage(query string) (int, listPage, []byte) {
	e.t.Helper()
	status, _, body := e.adminCall(http.MethodGet, e.recordsPath()+query, "")
	var p listPage
	if status == http.StatusOK {
		mustJSON(e.t, body, &p)
	}
	return status, p, body
}

func TestAdminListPaging(t *testing.T) {
	for _, lenient := range []bool{false, true} {
		t.Run(fmt.Sprintf("lenient %v", lenient), func(t *testing.T) { testListPaging(t, lenient) })
	}
}

// testListPaging pages through 251 records. The spec's answers carry no totalRecords and end with
// a 204; lenient ones carry totalRecords and end with an empty page.
func testListPaging(t *testing.T, lenient bool) {
	e := newAdminEnv(t, Config{RatePerMinute: -1, Lenient: lenient})
	var all []string
	for i := range 250 {
		e.sim.Seed(number(249 - i))
		all = append(all, digits(i))
	}
	e.sim.Seed("+442071234567")
	all = append(all, "442071234567") // sorts after the 415s, by digits
	var got []string
	for skip := 0; ; skip += 100 {
		status, p, body := e.listPage(fmt.Sprintf("?skip=%d&top=100&orderBy=phoneNumber%%20asc", skip))
		if !lenient && status == http.StatusNoContent && skip == 300 {
			break
		}
		if status != http.StatusOK || (p.ResultSet.TotalRecords != nil) != lenient ||
			(lenient && *p.ResultSet.TotalRecords != 251) {
			t.Fatalf("skip %d: %d %s", skip, status, body)
		}
		if len(p.ResultSet.DNCRecords) == 0 {
			if !lenient || !strings.Contains(string(body), `"dncRecords":[]`) {
				t.Errorf("empty page is not an empty array: %s", body)
			}
			break
		}
		for _, r := range p.ResultSet.DNCRecords {
			got = append(got, r.PhoneNumber)
		}
	}
	if !slices.Equal(got, all) {
		t.Errorf("pages gave %d numbers, want %d in digit order", len(got), len(all))
	}
	_, p, _ := e.listPage("?skip=248&top=2")
	if n := p.ResultSet.DNCRecords; len(n) != 2 || n[0].PhoneNumber != digits(248) || n[1].PhoneNumber != digits(249) {
		t.Errorf("skip 248 top 2: %+v", n)
	}
	if _, p, _ := e.listPage("?orderBy=phoneNumber+DESC&top=1"); len(p.ResultSet.DNCRecords) != 1 ||
		p.ResultSet.DNCRecords[0].PhoneNumber != "442071234567" {
		t.Errorf("orderBy phoneNumber desc: %+v", p.ResultSet.DNCRecords)
	}
	if status, _, body := e.listPage("?orderBy=dateCollected&fields=phoneNumber"); status != http.StatusOK {
		t.Errorf("orderBy dateCollected: %d %s", status, body)
	}
	if _, p, _ := e.listPage(""); len(p.ResultSet.DNCRecords) != 100 {
		t.Errorf("default page has %d records, want 100", len(p.ResultSet.DNCRecords))
	}
	bad := []string{"?top=101", "?top=0", "?top=-1", "?top=ten", "?skip=-1", "?skip=x", "?skip=1&top=1000",
		"?orderBy=bogus", "?orderBy=phoneNumber+sideways", "?orderBy=phoneNumber+asc+twice"}
	for _, q := range bad {
		if status, _, body := e.listPage(q); status != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", q, status, body)
		}
	}
	want := http.StatusNoContent
	if lenient {
		want = http.StatusOK
	}
	if status, p, _ := e.listPage("?skip=9223372036854775807&top=100"); status != want || len(p.ResultSet.DNCRecords) != 0 {
		t.Errorf("huge skip: %d %+v", status, p)
	}
	if st := e.sim.Stats().Requests[KindAdminList]; st[400] != len(bad) {
		t.Errorf("stats %v", st)
	}
}

func TestAdminListRecordFields(t *testing.T) {
	clock := newFakeClock()
	e := newAdminEnv(t, Config{Now: clock.Now})
	e.addRecords(digits(1)+"@01/01/2031", digits(2))
	clock.Advance(30 * time.Minute)
	e.addRecords(digits(2))
	_, p, body := e.listPage("?skip=0&top=10")
	r := p.ResultSet.DNCRecords
	if len(r) != 2 || r[0].FormattedPhone != "(415) 555-0001" || r[0].DateCollected != "2025-03-01T12:00:00Z" ||
		r[0].ExpiredDate == nil || *r[0].ExpiredDate != "2031-01-01T00:00:00Z" ||
		r[1].ExpiredDate != nil || r[1].LastUpdateTime != "2025-03-01T12:30:00Z" || r[1].DateCollected != "2025-03-01T12:00:00Z" {
		t.Errorf("records %s", body)
	}
	if !strings.Contains(string(body), `"expiredDate":null`) {
		t.Errorf("no expiry must be null: %s", body)
	}
}

// searchResult is the spec's search result: no phoneNumber (lenient mode adds it).
type searchResult struct {
	GroupID        int     `json:"dncGroupId"`
	GroupName      string  `json:"dncGroupName"`
	PhoneNumber    string  `json:"phoneNumber"`
	FormattedPhone string  `json:"formattedPhone"`
	ExpiredDate    *string `json:"expiredDate"`
}

// searchResults searches for phone; no group holding it is a 204 (lenient: an empty list).
func searchResults(t *testing.T, e *env, phone string) []searchResult {
	t.Helper()
	status, _, body := e.adminCall(http.MethodPost, e.servicesPath()+"/dnc-groups/search?phoneNumber="+phone, "")
	if status == http.StatusNoContent && !e.sim.Config().Lenient {
		return nil
	}
	if status != http.StatusOK {
		t.Fatalf("search %s: %d %s", phone, status, body)
	}
	var got struct {
		SearchResults []searchResult `json:"searchResults"`
	}
	mustJSON(t, body, &got)
	if got.SearchResults == nil {
		t.Fatalf("searchResults is not an array: %s", body)
	}
	return got.SearchResults
}

func TestAdminSearch(t *testing.T) {
	for _, lenient := range []bool{false, true} {
		e := newAdminEnv(t, Config{DNCGroupName: "Opt-outs", Lenient: lenient})
		e.addRecords(digits(1)+"@01/01/2031", "442071234567")
		got := searchResults(t, e, digits(1))
		exp := "2031-01-01T00:00:00Z"
		phone := ""
		if lenient {
			phone = digits(1)
		}
		if len(got) != 1 || got[0] != (searchResult{1001, "Opt-outs", phone, "(415) 555-0001", got[0].ExpiredDate}) ||
			got[0].ExpiredDate == nil || *got[0].ExpiredDate != exp {
			t.Errorf("lenient %v: found: %+v", lenient, got)
		}
		if got := searchResults(t, e, "442071234567"); len(got) != 1 || got[0].ExpiredDate != nil {
			t.Errorf("international: %+v", got)
		}
		if got := searchResults(t, e, digits(2)); len(got) != 0 {
			t.Errorf("absent: %+v", got)
		}
		for _, q := range []string{"", "?phoneNumber=", "?phoneNumber=%2B" + digits(1), "?phoneNumber=1" + digits(1)} {
			if status, _, body := e.adminCall(http.MethodPost, e.servicesPath()+"/dnc-groups/search"+q, ""); status != http.StatusBadRequest {
				t.Errorf("search %q: %d %s, want 400", q, status, body)
			}
		}
		absent := map[bool]int{false: 204, true: 200}[lenient]
		if st := e.sim.Stats().Requests[KindAdminSearch]; st[200] != 2+map[bool]int{false: 0, true: 1}[lenient] || st[absent] == 0 || st[400] != 4 {
			t.Errorf("stats %v", st)
		}
	}
}

func TestAdminSearchNonNumericGroupID(t *testing.T) {
	e := newAdminEnv(t, Config{DNCGroupID: "grp-7"})
	e.addRecords(digits(1))
	_, _, body := e.adminCall(http.MethodPost, e.servicesPath()+"/dnc-groups/search?phoneNumber="+digits(1), "")
	if !strings.Contains(string(body), `"dncGroupId":"grp-7"`) {
		t.Errorf("search %s", body)
	}
}

func TestAdminGroupAndSkills(t *testing.T) {
	e := newAdminEnv(t, Config{DNCGroupName: "Opt-outs"})
	e.sim.Seed(number(1), number(2))
	groupPath := e.servicesPath() + "/dnc-groups/1001"
	status, _, body := e.adminCall(http.MethodGet, groupPath, "")
	var g struct {
		ResultSet struct {
			DNCGroups []struct {
				ID           int    `json:"dncGroupId"`
				Name         string `json:"dncGroupName"`
				ValidRecords int    `json:"validRecords"`
				IsActive     bool   `json:"isActive"`
				IsRemoved    *bool  `json:"isRemoved"`
			} `json:"dncGroups"`
		} `json:"resultSet"`
	}
	mustJSON(t, body, &g)
	if status != http.StatusOK || len(g.ResultSet.DNCGroups) != 1 || g.ResultSet.DNCGroups[0].ID != 1001 ||
		g.ResultSet.DNCGroups[0].Name != "Opt-outs" || g.ResultSet.DNCGroups[0].ValidRecords != 2 ||
		!g.ResultSet.DNCGroups[0].IsActive || g.ResultSet.DNCGroups[0].IsRemoved == nil {
		t.Fatalf("group: %d %s", status, body)
	}
	if status, _, body := e.adminCall(http.MethodGet, groupPath+"/scrubbed-skills", ""); status != 200 ||
		string(body) != `{"scrubbedSkills":[{"skillId":4001,"skillName":"dncsync-sim outbound"}]}` {
		t.Errorf("default scrubbed skills: %d %s", status, body)
	}
	if status, _, body := e.adminCall(http.MethodGet, groupPath+"/contributing-skills", ""); status != 204 || len(body) != 0 {
		t.Errorf("no contributing skills: %d %s, want 204", status, body)
	}
	e.sim.SetGroupSkills(nil, []Skill{{7, "Inbound"}})
	e.sim.SetGroupActive(false)
	if status, _, _ := e.adminCall(http.MethodGet, groupPath+"/scrubbed-skills", ""); status != 204 {
		t.Errorf("no scrubbed skills: %d, want 204", status)
	}
	if status, _, body := e.adminCall(http.MethodGet, groupPath+"/contributing-skills", ""); status != 200 ||
		!strings.Contains(string(body), `"skillName":"Inbound"`) {
		t.Errorf("contributing skills: %d %s", status, body)
	}
	if _, _, body := e.adminCall(http.MethodGet, groupPath, ""); !strings.Contains(string(body), `"isActive":false`) {
		t.Errorf("inactive group: %s", body)
	}
	for _, p := range []string{"/dnc-groups/9", "/dnc-groups/9/scrubbed-skills", "/dnc-groups/9/contributing-skills"} {
		if status, hdr, _ := e.adminCall(http.MethodGet, e.servicesPath()+p, ""); status != 404 || hdr.Get("icStatusDescription") == "" {
			t.Errorf("%s: %d", p, status)
		}
	}

	lenient := newAdminEnv(t, Config{Lenient: true, ScrubbedSkills: []Skill{}})
	if status, _, body := lenient.adminCall(http.MethodGet, lenient.servicesPath()+"/dnc-groups/1001/scrubbed-skills", ""); status != 200 ||
		string(body) != `{"scrubbedSkills":[],"totalRecords":0}` {
		t.Errorf("lenient, none: %d %s", status, body)
	}
}
