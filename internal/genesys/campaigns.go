package genesys

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
)

// Campaign is an outbound campaign that checks the configured list before placing a call.
type Campaign struct {
	ID, Name string
	Status   string // campaignStatus: on, stopping, off, complete, invalid, forced_off, forced_stopping
}

// entityRef is a DomainEntityRef, as far as its id.
type entityRef struct {
	ID string `json:"id"`
}

// campaignPage is the most campaigns asked for per page: "Page size. The max that will be returned
// is 100" (GetOutboundCampaigns in the platform SDKs' OutboundApi docs).
const campaignPage = 100

// maxCampaignPages bounds the paging, so that an answer that never ends cannot loop.
const maxCampaignPages = 100

// Campaigns returns the outbound campaigns whose DNC lists include the configured list: GET
// /api/v2/outbound/campaigns?dncListIds={id}&pageSize=&pageNumber= (platformclientv2/outboundapi.go
// GetOutboundCampaigns; the answer is CampaignEntityListing {"entities":[Campaign],"pageCount",...},
// each Campaign with its "dncLists" [{"id"}]). A list no campaign checks blocks no call: numbers
// written to it succeed and change nothing. The role needs outbound:campaign:view.
func (c *Client) Campaigns(ctx context.Context) ([]Campaign, error) {
	if c.hostErr != nil {
		return nil, c.hostErr
	}
	if c.cfg.DNCListID == "" {
		return nil, configError("campaigns", 0, "set GENESYS_DNC_LIST_ID")
	}
	var out []Campaign
	for page := 1; page <= maxCampaignPages; page++ {
		u := c.api + "/api/v2/outbound/campaigns?" + url.Values{"dncListIds": {c.cfg.DNCListID},
			"pageSize": {strconv.Itoa(campaignPage)}, "pageNumber": {strconv.Itoa(page)}}.Encode()
		var r response
		err := retrying(ctx, func() error {
			var err error
			r, err = c.c.do(ctx, "campaigns", http.MethodGet, u, nil)
			return err
		})
		if err != nil {
			return nil, err
		}
		switch r.Status {
		case http.StatusOK:
		case http.StatusForbidden:
			return nil, configError("campaigns", r.Status, "the OAuth client's role lacks outbound:campaign:view, "+
				"which the check that a campaign uses the list needs"+describe(r))
		default:
			return nil, statusError("campaigns", r)
		}
		var ans struct {
			Entities *[]struct {
				ID             string      `json:"id"`
				Name           string      `json:"name"`
				CampaignStatus string      `json:"campaignStatus"`
				DNCLists       []entityRef `json:"dncLists"`
			} `json:"entities"`
			PageCount int `json:"pageCount"`
		}
		if json.Unmarshal(r.Body, &ans) != nil || ans.Entities == nil {
			return nil, unexpected("campaigns", r)
		}
		for _, e := range *ans.Entities {
			// The filter is the API's; the list is checked here too, so that a filter the API
			// ignored cannot pass off every campaign as one that uses the list.
			if slices.ContainsFunc(e.DNCLists, func(l entityRef) bool { return l.ID == c.cfg.DNCListID }) {
				out = append(out, Campaign{ID: e.ID, Name: e.Name, Status: e.CampaignStatus})
			}
		}
		if len(*ans.Entities) == 0 || page >= ans.PageCount {
			return out, nil
		}
	}
	return out, nil
}
