package cxonesim

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestAdminAddPerRecordResults(t *testing.T) {
	clock := newFakeClock()
	e := newAdminEnv(t, Config{Now: clock.Now})
	var changes []Change
	e.sim.OnChange(func(c Change) { changes = append(changes, c) })

	got := e.addRecords(
		"4155552671@2031-01-01T00:00:00Z",
		"+14155552672",           // a "+" is not a digit
		"442071234567",           // international: E.164 digits
		"14155552673",            // NANP with its country code
		"415555",                 // too short
		"4155552674@next monday", // bad expiredDate
		"0442071234567",          // no country code starts with 0
		"4155552675@2031-01-01T09:30:00+02:00",
	)
	want := []adminRecordResult{
		{true, "4155552671", "(415) 555-2671", ""},
		{false, "+14155552672", "", errInvalidPhone},
		{true, "442071234567", "+442071234567", ""},
		{false, "14155552673", "", errInvalidPhone},
		{false, "415555", "", errInvalidPhone},
		{false, "4155552674", "(415) 555-2674", errInvalidExpired},
		{false, "0442071234567", "", errInvalidPhone},
		{true, "4155552675", "(415) 555-2675", ""},
	}
	if got.ErrorCount != 5 || !slices.Equal(got.RecordResults, want) {
		t.Errorf("results %+v\nwant %+v (errorCount %d)", got.RecordResults, want, got.ErrorCount)
	}
	if l := e.sim.List(); !slices.Equal(l, []string{"+14155552671", "+14155552675", "+442071234567"}) {
		t.Errorf("list %v: only the good records, in E.164", l)
	}
	ent, _ := e.sim.Entry("+14155552675")
	if !ent.ExpiresAt.Equal(time.Date(2031, 1, 1, 7, 30, 0, 0, time.UTC)) || !ent.AddedAt.Equal(clock.Now()) {
		t.Errorf("entry %+v", ent)
	}
	if ent, _ := e.sim.Entry("+442071234567"); !ent.ExpiresAt.IsZero() {
		t.Errorf("no expiredDate sent, entry %+v", ent)
	}
	if len(changes) != 3 || changes[0].Number != "+14155552671" || changes[0].Op != OpAdd {
		t.Errorf("changes %+v", changes)
	}
	if st := e.sim.Stats(); st.Added != 3 || st.RecordErrors != 5 || st.Requests[KindAdminAdd][200] != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestAdminAddRecordShapes(t *testing.T) {
	e := newAdminEnv(t, Config{})
	status, _, body := e.adminCall(http.MethodPost, e.recordsPath(),
		`{"dncGroupRecords":[{"phoneNumber":4155552671},{},{"phoneNumber":"4155552672","expiredDate":null},{"phoneNumber":"4155552673","expiredDate":20310101}]}`)
	if status != http.StatusOK {
		t.Fatalf("%d %s", status, body)
	}
	var got struct{ ResultSet adminResultSet }
	mustJSON(t, body, &got)
	ok := make([]bool, len(got.ResultSet.RecordResults))
	for i, r := range got.ResultSet.RecordResults {
		ok[i] = r.Success
	}
	if !slices.Equal(ok, []bool{false, false, true, false}) || got.ResultSet.ErrorCount != 3 {
		t.Errorf("results %s", body)
	}
	if !strings.Contains(string(body), `"error":""`) {
		t.Errorf("a successful record must carry an empty error: %s", body)
	}
}

func TestAdminAddExistingIsSuccess(t *testing.T) {
	clock := newFakeClock()
	e := newAdminEnv(t, Config{Now: clock.Now})
	e.addRecords(digits(1) + "@2030-01-01T00:00:00Z")
	added := clock.Now()
	clock.Advance(time.Minute)
	got := e.addRecords(digits(1)+"@2031-06-01T00:00:00Z", digits(1))
	if got.ErrorCount != 0 || !got.RecordResults[0].Success || !got.RecordResults[1].Success {
		t.Fatalf("re-add %+v", got)
	}
	// The last record wins: sent without expiredDate, the entry has none.
	ent, _ := e.sim.Entry(number(1))
	if !ent.ExpiresAt.IsZero() || !ent.AddedAt.Equal(added) || !ent.UpdatedAt.Equal(clock.Now()) {
		t.Errorf("entry %+v", ent)
	}
	e.addRecords(digits(1) + "@2031-06-01T00:00:00Z")
	if ent, _ := e.sim.Entry(number(1)); !ent.ExpiresAt.Equal(time.Date(2031, 6, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("expiredDate not updated: %+v", ent)
	}
	if st := e.sim.Stats(); st.Added != 1 || st.Updated != 3 {
		t.Errorf("Added %d Updated %d, want 1 3", st.Added, st.Updated)
	}
}

func TestAdminRequestValidation(t *testing.T) {
	e := newAdminEnv(t, Config{AdminMaxBatch: 3})
	path := e.recordsPath()
	groups := e.servicesPath() + "/dnc-groups/"
	cases := []struct {
		name, method, path, body string
		opts                     []reqOpt
		status                   int
	}{
		{"unknown group", "POST", groups + "9999/records", recordsBody(digits(1)), nil, 404},
		{"unknown group remove", "DELETE", groups + "9999/records", recordsBody(digits(1)), nil, 404},
		{"unknown group list", "GET", groups + "9999/records", "", nil, 404},
		{"empty", "POST", path, `{"dncGroupRecords":[]}`, nil, 400},
		{"missing", "POST", path, `{}`, nil, 400},
		{"empty remove", "DELETE", path, `{"dncGroupRecords":[]}`, nil, 400},
		{"too many", "POST", path, recordsBody(digits(1), digits(2), digits(3), digits(4)), nil, 400},
		{"too many remove", "DELETE", path, recordsBody(digits(1), digits(2), digits(3), digits(4)), nil, 400},
		{"unknown top key", "POST", path, `{"dncGroupRecords":[{"phoneNumber":"4155552671"}],"groupId":1}`, nil, 400},
		{"wrong case key", "POST", path, `{"dncGroupRecords":[{"PhoneNumber":"4155552671"}]}`, nil, 400},
		{"unknown record key", "POST", path, `{"dncGroupRecords":[{"phoneNumber":"4155552671","reason":"x"}]}`, nil, 400},
		{"records not an array", "POST", path, `{"dncGroupRecords":{"phoneNumber":"4155552671"}}`, nil, 400},
		{"not json", "POST", path, `{"dncGroupRecords":`, nil, 400},
		{"no content type", "POST", path, recordsBody(digits(1)), []reqOpt{delHeader("Content-Type")}, 415},
	}
	for _, c := range cases {
		if status, _, body := e.adminCall(c.method, c.path, c.body, c.opts...); status != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, status, body, c.status)
		}
	}
	if l := e.sim.List(); len(l) != 0 {
		t.Errorf("refused requests changed the list: %v", l)
	}
	if got := e.addRecords(digits(1), digits(2), digits(3)); got.ErrorCount != 0 {
		t.Errorf("AdminMaxBatch records: %+v", got)
	}
	if got := New(Config{}).Config().AdminMaxBatch; got != 1000 {
		t.Errorf("default AdminMaxBatch %d, want 1000", got)
	}
}

func TestAdminAcceptHeader(t *testing.T) {
	e := newAdminEnv(t, Config{})
	for accept, want := range map[string]int{
		"":                                 406,
		"text/html":                        406,
		"application/xml":                  406,
		"application/json;q=0":             406,
		"application/json":                 200,
		"application/json; charset=utf-8":  200,
		"text/html, application/json;q=.5": 200,
		"application/*":                    200,
		"*/*":                              200,
	} {
		opt := setHeader("Accept", accept)
		if accept == "" {
			opt = delHeader("Accept")
		}
		status, hdr, body := e.adminCall(http.MethodGet, e.recordsPath(), "", opt)
		if status != want {
			t.Errorf("Accept %q: %d %s, want %d", accept, status, body, want)
		}
		if status == 406 && (len(body) == 0 || len(body) > 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json")) {
			t.Errorf("406 body %q", body)
		}
	}
	// A refused add applies nothing.
	if status, _, _ := e.adminCall(http.MethodPost, e.recordsPath(), recordsBody(digits(1)), delHeader("Accept")); status != 406 || e.sim.Has(number(1)) {
		t.Errorf("add without Accept: %d, applied %v", status, e.sim.Has(number(1)))
	}
}

func TestAdminVersionInPath(t *testing.T) {
	e := newAdminEnv(t, Config{})
	for version, want := range map[string]int{
		"v33.0": 200, "v1.0": 200, "v34.12": 200,
		"v33": 404, "33.0": 404, "v33.0.1": 404, "V33.0": 404, "latest": 404, "v33.x": 404,
	} {
		path := "/inContactAPI/services/" + version + "/dnc-groups/1001/records"
		if status, _, body := e.adminCall(http.MethodGet, path, ""); status != want {
			t.Errorf("%s: %d %s, want %d", version, status, body, want)
		}
	}
	if status, _, _ := e.adminCall(http.MethodGet, "/inContactAPI/services/dnc-groups/1001/records", ""); status != 404 {
		t.Errorf("no version: %d, want 404", status)
	}
}

func TestAdminRemove(t *testing.T) {
	e := newAdminEnv(t, Config{})
	e.sim.Seed(number(1), number(2), "+442071234567")
	var changes []Change
	e.sim.OnChange(func(c Change) { changes = append(changes, c) })

	status, _, body := e.adminCall(http.MethodDelete, e.recordsPath(), recordsBody(digits(1), digits(3), "442071234567", "+"+digits(2)))
	if status != http.StatusOK {
		t.Fatalf("remove: %d %s", status, body)
	}
	if strings.Contains(string(body), "resultSet") {
		t.Errorf("remove answer is wrapped: %s", body)
	}
	var got adminResultSet
	mustJSON(t, body, &got)
	want := []adminRecordResult{
		{true, digits(1), "(415) 555-0001", ""},
		{true, digits(3), "(415) 555-0003", ""}, // not there: still a success
		{true, "442071234567", "+442071234567", ""},
		{false, "+" + digits(2), "", errInvalidPhone},
	}
	if got.ErrorCount != 1 || !slices.Equal(got.RecordResults, want) {
		t.Errorf("results %+v", got)
	}
	if l := e.sim.List(); !slices.Equal(l, []string{number(2)}) {
		t.Errorf("list %v", l)
	}
	if len(changes) != 2 || changes[0].Op != OpRemove {
		t.Errorf("changes %+v", changes)
	}
	if again := e.removeRecords(digits(1)); again.ErrorCount != 0 || !again.RecordResults[0].Success {
		t.Errorf("remove again %+v", again)
	}
	if st := e.sim.Stats(); st.Removes != 2 || st.RecordErrors != 1 || st.Requests[KindAdminRemove][200] != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestAdminAndV2ShareTheList(t *testing.T) {
	e := newAdminEnv(t, Config{})
	v2tok := e.token()
	e.addRecords(digits(1))
	admTok := e.tok
	e.tok = v2tok
	if status, _ := e.add(number(1)); status != http.StatusConflict {
		t.Errorf("v2 add of a number the admin API added: %d, want 409", status)
	}
	if status, _ := e.add(number(2)); status != http.StatusCreated {
		t.Errorf("v2 add: %d", status)
	}
	e.tok = admTok
	if res := searchResults(t, e, digits(2)); len(res) != 1 {
		t.Errorf("admin search for a v2-added number: %+v", res)
	}
	if !slices.Equal(e.sim.GroupList(), e.sim.List()) || len(e.sim.List()) != 2 {
		t.Errorf("GroupList %v List %v", e.sim.GroupList(), e.sim.List())
	}
}
