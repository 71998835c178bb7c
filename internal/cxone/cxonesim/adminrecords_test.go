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
		"4155552671@01/01/2031",
		"442071234567",                         // international: E.164 digits
		"14155552673",                          // NANP with its country code
		"415555",                               // too short
		"4155552674@next monday",               // bad expiredDate
		"4155552675@2031-01-01T09:30:00+02:00", // RFC 3339: lenient mode only
	)
	// The spec's results: success, formattedPhone and error, no phoneNumber.
	want := []adminRecordResult{
		{true, "", "(415) 555-2671", ""},
		{true, "", "+442071234567", ""},
		{false, "", "", errInvalidPhone},
		{false, "", "", errInvalidPhone},
		{false, "", "(415) 555-2674", errInvalidExpired},
		{false, "", "(415) 555-2675", errInvalidExpired},
	}
	if got.ErrorCount != 4 || !slices.Equal(got.RecordResults, want) {
		t.Errorf("results %+v\nwant %+v (errorCount %d)", got.RecordResults, want, got.ErrorCount)
	}
	if l := e.sim.List(); !slices.Equal(l, []string{"+14155552671", "+442071234567"}) {
		t.Errorf("list %v: only the good records, in E.164", l)
	}
	ent, _ := e.sim.Entry("+14155552671")
	if !ent.ExpiresAt.Equal(time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)) || !ent.AddedAt.Equal(clock.Now()) {
		t.Errorf("entry %+v", ent)
	}
	if ent, _ := e.sim.Entry("+442071234567"); !ent.ExpiresAt.IsZero() {
		t.Errorf("no expiredDate sent, entry %+v", ent)
	}
	if len(changes) != 2 || changes[0].Number != "+14155552671" || changes[0].Op != OpAdd {
		t.Errorf("changes %+v", changes)
	}
	if st := e.sim.Stats(); st.Added != 2 || st.RecordErrors != 4 || st.Requests[KindAdminAdd][200] != 1 {
		t.Errorf("stats %+v", st)
	}
}

// Lenient mode takes what other public clients send where they differ from the spec (phoneNumber
// as a string in POST, as NICE's v12.0 tests did; expiredDate in RFC 3339) and echoes phoneNumber
// in results.
func TestAdminLenientRecords(t *testing.T) {
	e := newAdminEnv(t, Config{Lenient: true})
	status, _, body := e.adminCall(http.MethodPost, e.recordsPath(), removeBody(
		"4155552671", "+14155552672", "0442071234567", "4155552675@2031-01-01T09:30:00+02:00", "4155552676@01/01/2031"))
	if status != http.StatusOK {
		t.Fatalf("%d %s", status, body)
	}
	var got struct{ ResultSet adminResultSet }
	mustJSON(t, body, &got)
	want := []adminRecordResult{
		{true, "4155552671", "(415) 555-2671", ""},
		{false, "+14155552672", "", errInvalidPhone},  // a "+" is not a digit
		{false, "0442071234567", "", errInvalidPhone}, // no country code starts with 0
		{true, "4155552675", "(415) 555-2675", ""},
		{true, "4155552676", "(415) 555-2676", ""},
	}
	if !slices.Equal(got.ResultSet.RecordResults, want) {
		t.Errorf("results %+v\nwant %+v", got.ResultSet.RecordResults, want)
	}
	if ent, _ := e.sim.Entry("+14155552675"); !ent.ExpiresAt.Equal(time.Date(2031, 1, 1, 7, 30, 0, 0, time.UTC)) {
		t.Errorf("entry %+v", ent)
	}
	status, _, body = e.adminCall(http.MethodDelete, e.recordsPath(), recordsBody("4155552671"))
	if status != http.StatusOK || e.sim.Has("+14155552671") {
		t.Errorf("remove with a number: %d %s", status, body)
	}
}

// The spec types phoneNumber as a number in POST and a string in DELETE; the other type refuses
// the whole request, with the reason only in icStatusDescription.
func TestAdminPhoneNumberTypes(t *testing.T) {
	e := newAdminEnv(t, Config{})
	for _, c := range []struct{ method, body string }{
		{http.MethodPost, removeBody(digits(1))},
		{http.MethodPost, `{"dncGroupRecords":[{"phoneNumber":4155550002},{"phoneNumber":"4155550003"}]}`},
		{http.MethodDelete, recordsBody(digits(1))},
	} {
		status, hdr, body := e.adminCall(c.method, e.recordsPath(), c.body)
		if status != http.StatusBadRequest || len(body) != 0 || !strings.Contains(hdr.Get("icStatusDescription"), "phoneNumber must be") {
			t.Errorf("%s %s: %d %q %s", c.method, c.body, status, hdr.Get("icStatusDescription"), body)
		}
	}
	if len(e.sim.List()) != 0 {
		t.Errorf("a refused request applied %v", e.sim.List())
	}
}

func TestAdminAddRecordShapes(t *testing.T) {
	e := newAdminEnv(t, Config{})
	status, _, body := e.adminCall(http.MethodPost, e.recordsPath(),
		`{"dncGroupRecords":[{"phoneNumber":4155552671},{},{"phoneNumber":4155552672,"expiredDate":null},{"phoneNumber":4155552673,"expiredDate":20310101},{"phoneNumber":4.155552674e9},{"phoneNumber":-4155552675}]}`)
	if status != http.StatusOK {
		t.Fatalf("%d %s", status, body)
	}
	var got struct{ ResultSet adminResultSet }
	mustJSON(t, body, &got)
	ok := make([]bool, len(got.ResultSet.RecordResults))
	for i, r := range got.ResultSet.RecordResults {
		ok[i] = r.Success
	}
	if !slices.Equal(ok, []bool{true, false, true, false, false, false}) || got.ResultSet.ErrorCount != 4 {
		t.Errorf("results %s", body)
	}
	if !strings.Contains(string(body), `"error":""`) || strings.Contains(string(body), "phoneNumber") {
		t.Errorf("a successful record must carry an empty error, and no result a phoneNumber: %s", body)
	}
}

func TestAdminAddExistingIsSuccess(t *testing.T) {
	clock := newFakeClock()
	e := newAdminEnv(t, Config{Now: clock.Now})
	e.addRecords(digits(1) + "@01/01/2030")
	added := clock.Now()
	clock.Advance(time.Minute)
	got := e.addRecords(digits(1)+"@06/01/2031", digits(1))
	if got.ErrorCount != 0 || !got.RecordResults[0].Success || !got.RecordResults[1].Success {
		t.Fatalf("re-add %+v", got)
	}
	// The last record wins: sent without expiredDate, the entry has none.
	ent, _ := e.sim.Entry(number(1))
	if !ent.ExpiresAt.IsZero() || !ent.AddedAt.Equal(added) || !ent.UpdatedAt.Equal(clock.Now()) {
		t.Errorf("entry %+v", ent)
	}
	e.addRecords(digits(1) + "@06/01/2031")
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
		{"unknown group remove", "DELETE", groups + "9999/records", removeBody(digits(1)), nil, 404},
		{"unknown group list", "GET", groups + "9999/records", "", nil, 404},
		{"empty", "POST", path, `{"dncGroupRecords":[]}`, nil, 400},
		{"missing", "POST", path, `{}`, nil, 400},
		{"empty remove", "DELETE", path, `{"dncGroupRecords":[]}`, nil, 400},
		{"too many", "POST", path, recordsBody(digits(1), digits(2), digits(3), digits(4)), nil, 400},
		{"too many remove", "DELETE", path, removeBody(digits(1), digits(2), digits(3), digits(4)), nil, 400},
		{"unknown top key", "POST", path, `{"dncGroupRecords":[{"phoneNumber":"4155552671"}],"groupId":1}`, nil, 400},
		{"wrong case key", "POST", path, `{"dncGroupRecords":[{"PhoneNumber":"4155552671"}]}`, nil, 400},
		{"unknown record key", "POST", path, `{"dncGroupRecords":[{"phoneNumber":"4155552671","reason":"x"}]}`, nil, 400},
		{"records not an array", "POST", path, `{"dncGroupRecords":{"phoneNumber":"4155552671"}}`, nil, 400},
		{"not json", "POST", path, `{"dncGroupRecords":`, nil, 400},
		{"no content type", "POST", path, recordsBody(digits(1)), []reqOpt{delHeader("Content-Type")}, 415},
	}
	for _, c := range cases {
		status, hdr, body := e.adminCall(c.method, c.path, c.body, c.opts...)
		if status != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, status, body, c.status)
		}
		// CXone's way: the reason in icStatusDescription, the body empty.
		if status != 415 && (hdr.Get("icStatusDescription") == "" || len(body) != 0) {
			t.Errorf("%s: icStatusDescription %q, body %q", c.name, hdr.Get("icStatusDescription"), body)
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
	e.sim.Seed(number(9))
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
	e.sim.Seed(number(9))
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

	status, _, body := e.adminCall(http.MethodDelete, e.recordsPath(), removeBody(digits(1), digits(3), "442071234567", "+"+digits(2)))
	if status != http.StatusOK {
		t.Fatalf("remove: %d %s", status, body)
	}
	if strings.Contains(string(body), "resultSet") {
		t.Errorf("remove answer is wrapped: %s", body)
	}
	var got adminResultSet
	mustJSON(t, body, &got)
	want := []adminRecordResult{
		{true, "", "(415) 555-0001", ""},
		{true, "", "(415) 555-0003", ""}, // not there: still a success
		{true, "", "+442071234567", ""},
		{false, "", "", errInvalidPhone},
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
