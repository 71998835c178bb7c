package genesyssim

import (
	"encoding/json"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"time"

	"github.com/dncsync/dncsync/internal/simfault"
)

// DNC list types (dncSourceType): rds is an internal list of numbers, the only kind the phone
// number PATCH may change (platform-client-sdk-go platformclientv2/outboundapi.go,
// PatchOutboundDnclistPhonenumbers: "Only Internal DNC lists may be added to deleted from";
// terraform-provider-genesyscloud genesyscloud/outbound_dnclist, dnc_source_type).
const (
	SourceInternal = "rds"
	SourceCustom   = "rds_custom"
	SourceDNCCom   = "dnc.com"
	SourceGryphon  = "gryphon"
)

// ListInfo describes a DNC list.
type ListInfo struct {
	ID, Name      string
	SourceType    string // SourceInternal, ...
	ContactMethod string // "Phone", "Email" or "Any"
}

// Entry is one number on a list.
type Entry struct {
	Number    string    `json:"phoneNumber"`        // E.164
	ExpiresAt time.Time `json:"expiresAt,omitzero"` // zero: no expiry
	AddedAt   time.Time `json:"addedAt"`            // first added
	UpdatedAt time.Time `json:"updatedAt"`          // last added again (its expiry replaced)
}

// Active reports whether the entry still blocks calls at now: an expired entry stays on the list
// (until DELETE .../phonenumbers?expiredOnly=true) but no longer blocks.
func (e Entry) Active(now time.Time) bool { return e.ExpiresAt.IsZero() || e.ExpiresAt.After(now) }

type list struct {
	info     ListInfo
	created  time.Time
	modified time.Time
	version  int
	entries  map[string]*Entry
	exports  *exportState
}

func newList(info ListInfo, now time.Time) *list {
	return &list{info: info, created: now, modified: now, version: 1, entries: map[string]*Entry{}}
}

// e164 is the number form the list takes: the terraform provider documents phone numbers as
// "must be in an E.164 number format" (genesyscloud/outbound_dnclist, phone_numbers).
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// expirationLayout is yyyy-MM-ddTHH:mmZ, the format the API documents for expirationDateTime
// (platformclientv2/dncpatchphonenumbersrequest.go) and the Resource Center for DNC list
// expirations (help.mypurecloud.com/articles/not-call-lists-view/).
const expirationLayout = "2006-01-02T15:04Z"

var expirationForm = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}Z$`)

// patchBody is DncPatchPhoneNumbersRequest (platformclientv2/dncpatchphonenumbersrequest.go).
type patchBody struct {
	Action             string   `json:"action"`
	PhoneNumbers       []string `json:"phoneNumbers"`
	ExpirationDateTime *string  `json:"expirationDateTime"`
}

// routeAPI mounts the API operations.
func (s *Server) routeAPI() {
	s.handle("PATCH /api/v2/outbound/dnclists/{id}/phonenumbers", KindPatch, s.patchNumbers)
	s.handle("GET /api/v2/outbound/dnclists/{id}", KindGetList, s.getList)
	s.handle("GET /api/v2/outbound/campaigns", KindCampaigns, s.getCampaigns)
	s.handle("POST /api/v2/outbound/dnclists/{id}/export", KindExportStart, s.startExport)
	s.handle("GET /api/v2/outbound/dnclists/{id}/export", KindExportGet, s.getExport)
	s.handle("GET /api/v2/downloads/{id}", KindDownload, s.download)
	s.api.HandleFunc("GET /sim/files/{id}", s.file)
}

func (s *Server) patchNumbers(r *http.Request, body []byte) simfault.Reply {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return apiError(http.StatusUnsupportedMediaType, "unsupported.media.type", "The body must be application/json.")
	}
	var req patchBody
	if !json.Valid(body) {
		return apiError(http.StatusBadRequest, "bad.request", "The request could not be understood by the server due to malformed syntax.")
	}
	if err := simfault.CheckKeys(body, "action", "phoneNumbers", "expirationDateTime"); err != nil {
		return apiError(http.StatusBadRequest, "invalid.property", "Value [%s] is not a valid property for object [DncPatchPhoneNumbersRequest]", err)
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return apiError(http.StatusBadRequest, "bad.request", "The request could not be understood by the server due to malformed syntax.")
	}
	if req.Action != "Add" && req.Action != "Remove" {
		return apiError(http.StatusBadRequest, "invalid.value", "Value [%s] is not valid for field type [ActionEnum]. Allowable values are: Add, Remove", req.Action)
	}
	if n := len(req.PhoneNumbers); n == 0 || n > s.cfg.MaxBatch {
		return apiError(http.StatusBadRequest, "constraint.validation", "phoneNumbers: size must be between 1 and %d", s.cfg.MaxBatch)
	}
	for _, n := range req.PhoneNumbers {
		if !e164.MatchString(n) || s.refused(n) {
			// The vendor quotes the value; clients must keep it out of their logs.
			return apiError(http.StatusBadRequest, "invalid.value", "Value [%s] is not valid for field type [phoneNumber]", n)
		}
	}
	now := s.now()
	var expires time.Time
	if req.ExpirationDateTime != nil {
		if req.Action != "Add" {
			return apiError(http.StatusBadRequest, "bad.request", "expirationDateTime applies to Add only")
		}
		t, err := time.Parse(expirationLayout, *req.ExpirationDateTime)
		if err != nil || !expirationForm.MatchString(*req.ExpirationDateTime) {
			return apiError(http.StatusBadRequest, "invalid.date", "Dates must be specified as yyyy-MM-ddTHH:mmZ")
		}
		if t.After(now.Add(s.cfg.MaxExpiry)) {
			return apiError(http.StatusBadRequest, "invalid.date.value", "The date was invalid: more than %d days in the future", int(s.cfg.MaxExpiry/(24*time.Hour)))
		}
		expires = t
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.lists[r.PathValue("id")]
	switch {
	case l == nil:
		return apiError(http.StatusNotFound, "not.found", "The requested DNC list was not found.")
	case l.info.SourceType != SourceInternal || l.info.ContactMethod == "Email":
		return apiError(http.StatusBadRequest, "dnc.source.operation.not.supported", "An attempt was made to change numbers of a DNC list that is not of type Internal")
	}
	if req.Action == "Add" {
		fresh := 0
		for _, n := range slices.Compact(slices.Sorted(slices.Values(req.PhoneNumbers))) {
			if l.entries[n] == nil {
				fresh++
			}
		}
		if len(l.entries)+fresh > s.cfg.MaxListSize {
			return apiError(http.StatusBadRequest, "dnc.phone.numbers.per.list.limit.exceeded", "The DNC list has reached the limit on total records.")
		}
		for _, n := range req.PhoneNumbers {
			if e := l.entries[n]; e != nil {
				s.stats.Updated++
				e.ExpiresAt, e.UpdatedAt = expires, now // adding again replaces the expiry
				continue
			}
			l.entries[n] = &Entry{Number: n, ExpiresAt: expires, AddedAt: now, UpdatedAt: now}
			s.stats.Added++
		}
	} else {
		for _, n := range req.PhoneNumbers {
			if l.entries[n] != nil {
				delete(l.entries, n)
				s.stats.Removed++
			}
		}
	}
	l.modified = now
	return simfault.Empty(http.StatusNoContent)
}

// dncList is the Dnclist model (platformclientv2/dnclist.go).
type dncList struct {
	ID            string        `json:"id"`
	Name          string        `json:"name"`
	DateCreated   string        `json:"dateCreated"`
	DateModified  string        `json:"dateModified"`
	Version       int           `json:"version"`
	ImportStatus  *importStatus `json:"importStatus,omitempty"`
	Size          *int          `json:"size,omitempty"`
	DncSourceType string        `json:"dncSourceType"`
	ContactMethod string        `json:"contactMethod,omitempty"`
	Division      division      `json:"division"`
	SelfURI       string        `json:"selfUri"`
}

type importStatus struct {
	State            string `json:"state"`
	TotalRecords     int    `json:"totalRecords"`
	CompletedRecords int    `json:"completedRecords"`
	PercentComplete  int    `json:"percentComplete"`
}

type division struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	SelfURI string `json:"selfUri"`
}

// getList answers GET .../dnclists/{id}?includeImportStatus=&includeSize= (both booleans,
// default false, platformclientv2/outboundapi.go GetOutboundDnclist).
func (s *Server) getList(r *http.Request, _ []byte) simfault.Reply {
	q := r.URL.Query()
	flags := map[string]bool{}
	for _, k := range []string{"includeImportStatus", "includeSize"} {
		switch v := q.Get(k); v {
		case "", "false":
		case "true":
			flags[k] = true
		default:
			return apiError(http.StatusBadRequest, "invalid.query.param.value", "Value [%s] is not valid for parameter [%s]. Allowable values are: true, false", v, k)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.lists[r.PathValue("id")]
	if l == nil {
		return apiError(http.StatusNotFound, "not.found", "The requested DNC list was not found.")
	}
	out := dncList{ID: l.info.ID, Name: l.info.Name, DateCreated: l.created.UTC().Format(time.RFC3339Nano),
		DateModified: l.modified.UTC().Format(time.RFC3339Nano), Version: l.version, DncSourceType: l.info.SourceType,
		ContactMethod: l.info.ContactMethod,
		Division:      division{ID: "home-division", Name: "Home", SelfURI: "/api/v2/authorization/divisions/home-division"},
		SelfURI:       "/api/v2/outbound/dnclists/" + l.info.ID}
	if flags["includeSize"] {
		n := len(l.entries)
		out.Size = &n
	}
	if flags["includeImportStatus"] {
		out.ImportStatus = &importStatus{State: "SUCCEEDED", PercentComplete: 100}
	}
	return simfault.JSON(http.StatusOK, out)
}
