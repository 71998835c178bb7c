package genesys

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
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
	ContactMethod string // Phone, Email or Any
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
	if r.status != http.StatusOK {
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
	if json.Unmarshal(r.body, &l) != nil || l.ID == "" {
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
	Problems  []string // what stops the list from taking numbers, for an operator
}

// OK reports whether the destination can take numbers.
func (k Check) OK() bool { return k.Login == nil && k.ListErr == nil && len(k.Problems) == 0 }

// Checks logs in and reads the list: that it exists, is internal and is for phone numbers. It
// changes nothing.
func (c *Client) Checks(ctx context.Context) Check {
	k := Check{Endpoints: c.Endpoints(), Login: c.Login(ctx)}
	if k.Login != nil {
		k.ListErr = k.Login
		return k
	}
	k.List, k.ListErr = c.ListInfo(ctx)
	if k.ListErr != nil {
		return k
	}
	if !k.List.Internal() {
		k.Problems = append(k.Problems, "the list's type is "+quote(k.List.SourceType)+": only internal (rds) lists take numbers through the API")
	}
	if k.List.ContactMethod == "Email" {
		k.Problems = append(k.Problems, "the list is for e-mail addresses, not phone numbers")
	}
	return k
}

func quote(s string) string {
	if s == "" {
		return "not given"
	}
	return `"` + destination.ShortText(s) + `"`
}
