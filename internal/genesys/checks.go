package genesys

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
)

// SourceInternal is the dncSourceType of an internal list, the only kind whose numbers the API
// changes ("Only Internal DNC lists may be added to deleted from", platform-client-sdk-go
// platformclientv2/outboundapi.go PatchOutboundDnclistPhonenumbers; the terraform provider's
// dnc_source_type calls it rds).
const SourceInternal = "rds"

// ListInfo describes the configured DNC list, from the Dnclist model
// (platformclientv2/dnclist.go).
type ListInfo struct {
	ID, Name      string
	SourceType    string // dncSourceType: rds (internal), rds_custom, dnc.com, gryphon
	ContactMethod string // Phone, Any, Email or WhatsApp
	Division      string // its name, else its id
	Size          int    // entries, expired ones included; -1 when not given
	ImportState   string // importStatus.state, "" when not given
	Version       int
	Modified      time.Time
}

// Internal reports whether the API may change the list's numbers.
func (l ListInfo) Internal() bool { return l.SourceType == SourceInternal }

// ListInfo reads the configured list: GET /api/v2/outbound/dnclists/{id}?includeSize=true
// &includeImportStatus=true (platformclientv2/outboundapi.go GetOutboundDnclist).
func (c *Client) ListInfo(ctx context.Context) (ListInfo, error) {
	if c.hostErr != nil {
		return ListInfo{}, c.hostErr
	}
	if c.cfg.DNCListID == "" {
		return ListInfo{}, configError("list", 0, "set GENESYS_DNC_LIST_ID")
	}
	u := c.api + "/api/v2/outbound/dnclists/" + url.PathEscape(c.cfg.DNCListID) + "?" +
		url.Values{"includeSize": {"true"}, "includeImportStatus": {"true"}}.Encode()
	var r response
	err := retrying(ctx, func() error {
		var err error
		r, err = c.c.do(ctx, "list", http.MethodGet, u, nil)
		return err
	})
	if err != nil {
		return ListInfo{}, err
	}
	if r.Status != http.StatusOK {
		return ListInfo{}, statusError("list", r)
	}
	var l struct {
		ID            string    `json:"id"`
		Name          string    `json:"name"`
		DateModified  time.Time `json:"dateModified"`
		Version       int       `json:"version"`
		Size          *int      `json:"size"`
		DncSourceType string    `json:"dncSourceType"`
		ContactMethod string    `json:"contactMethod"`
		ImportStatus  *struct {
			State string `json:"state"`
		} `json:"importStatus"`
		Division *struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"division"`
	}
	if json.Unmarshal(r.Body, &l) != nil || l.ID == "" {
		return ListInfo{}, unexpected("list", r)
	}
	info := ListInfo{ID: l.ID, Name: l.Name, SourceType: l.DncSourceType, ContactMethod: l.ContactMethod, Size: -1,
		Version: l.Version, Modified: l.DateModified}
	if l.Size != nil {
		info.Size = *l.Size
	}
	if l.ImportStatus != nil {
		info.ImportState = l.ImportStatus.State
	}
	if l.Division != nil {
		info.Division = l.Division.Name
		if info.Division == "" {
			info.Division = l.Division.ID
		}
	}
	return info, nil
}

// Check is what a setup check found, for `dncsync doctor`.
type Check struct {
	Endpoints Endpoints
	Login     error    // nil: the OAuth client logged in
	List      ListInfo // valid when ListErr is nil
	ListErr   error
	Problems  []string // what stops the list from taking numbers, or from blocking calls with them
	// Campaigns are the outbound campaigns that check the list (valid when CampaignsErr is nil);
	// none is a problem of its own (NoCampaign).
	Campaigns    []Campaign
	CampaignsErr error
}

// NoCampaign reports that the campaigns were read and none checks the list: numbers written to it
// block no call.
func (k Check) NoCampaign() bool {
	return k.Login == nil && k.CampaignsErr == nil && len(k.Campaigns) == 0
}

// OK reports whether the destination can take numbers and they block calls.
func (k Check) OK() bool {
	return k.Login == nil && k.ListErr == nil && len(k.Problems) == 0 && k.CampaignsErr == nil && !k.NoCampaign()
}

// callMethods are the list contact methods whose numbers block calls (the ContactMethodEnum of
// DncList is Email, Phone, Any and WhatsApp, platform-client-sdk-java build/docs/DncList.md):
// numbers on an Email or WhatsApp list block no call.
var callMethods = []string{"Phone", "Any"}

// Checks logs in, reads the list (that it exists, is internal and is for phone calls) and the
// campaigns that check it. It changes nothing.
func (c *Client) Checks(ctx context.Context) Check {
	k := Check{Endpoints: c.Endpoints(), Login: c.Login(ctx)}
	if k.Login != nil {
		k.ListErr, k.CampaignsErr = k.Login, k.Login
		return k
	}
	k.Campaigns, k.CampaignsErr = c.Campaigns(ctx)
	k.List, k.ListErr = c.ListInfo(ctx)
	if k.ListErr != nil {
		return k
	}
	if !k.List.Internal() {
		k.Problems = append(k.Problems, "the list's type is "+quote(k.List.SourceType)+": only internal (rds) lists take numbers through the API")
	}
	if !slices.Contains(callMethods, k.List.ContactMethod) {
		k.Problems = append(k.Problems, "the list's contact method is "+quote(k.List.ContactMethod)+
			": numbers on it block no call; use an internal list whose contact method is Phone")
	}
	return k
}

func quote(s string) string {
	if s == "" {
		return "not given"
	}
	return `"` + destination.ShortText(s) + `"`
}
