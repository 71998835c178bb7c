package genesyssim

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/dncsync/dncsync/internal/simfault"
)

// Campaign is an outbound campaign as far as DNC lists go: a list blocks a campaign's calls only
// when the campaign names it among its dncLists (the Campaign model, platform-client-sdk-java
// build/docs/Campaign.md: "DncLists for this Campaign to check before placing a call").
type Campaign struct {
	ID, Name string
	// Status is campaignStatus: on, stopping, off, complete, invalid, forced_off, forced_stopping.
	Status   string
	DNCLists []string // the ids of the DNC lists it checks
}

// DefaultCampaignID is the default organization's one campaign, which checks the default list.
const DefaultCampaignID = "5d7c9a1e-3b2f-4c6d-8e9f-0a1b2c3d4e01"

// SetCampaigns replaces the organization's campaigns (nil: none, so that no list blocks a call).
func (s *Server) SetCampaigns(cs ...Campaign) {
	s.mu.Lock()
	s.campaigns = slices.Clone(cs)
	s.mu.Unlock()
}

// SetRefuse replaces Config.Refuse: the numbers the organization refuses although they are E.164
// (400 invalid.value for the whole request); nil refuses none. It takes effect for requests
// admitted afterwards.
func (s *Server) SetRefuse(refuse func(number string) bool) {
	s.mu.Lock()
	s.refuse = refuse
	s.mu.Unlock()
}

func (s *Server) refused(number string) bool {
	s.mu.Lock()
	f := s.refuse
	s.mu.Unlock()
	return f != nil && f(number)
}

// maxCampaignPage is the largest pageSize the campaigns query takes ("Page size. The max that will
// be returned is 100", platform-client-sdk-dotnet docs/OutboundApi.md GetOutboundCampaigns).
const maxCampaignPage = 100

// campaignRef is a DomainEntityRef.
type campaignRef struct {
	ID      string `json:"id"`
	Name    string `json:"name,omitempty"`
	SelfURI string `json:"selfUri"`
}

// campaignJSON is the part of the Campaign model (platformclientv2/campaign.go) the simulator
// fills in.
type campaignJSON struct {
	ID             string        `json:"id"`
	Name           string        `json:"name"`
	CampaignStatus string        `json:"campaignStatus"`
	DialingMode    string        `json:"dialingMode"`
	DNCLists       []campaignRef `json:"dncLists"`
	SelfURI        string        `json:"selfUri"`
}

// campaignListing is CampaignEntityListing (platformclientv2/campaignentitylisting.go).
type campaignListing struct {
	Entities   []campaignJSON `json:"entities"`
	PageSize   int            `json:"pageSize"`
	PageNumber int            `json:"pageNumber"`
	Total      int            `json:"total"`
	PageCount  int            `json:"pageCount"`
	FirstURI   string         `json:"firstUri"`
	SelfURI    string         `json:"selfUri"`
	LastURI    string         `json:"lastUri"`
	NextURI    string         `json:"nextUri,omitempty"`
}

// getCampaigns answers GET /api/v2/outbound/campaigns?pageSize=&pageNumber=&dncListIds= (and the
// query's other filters, ignored), campaigns sorted by name (platformclientv2/outboundapi.go
// GetOutboundCampaigns). dncListIds keeps the campaigns that check that list.
func (s *Server) getCampaigns(r *http.Request, _ []byte) simfault.Reply {
	q := r.URL.Query()
	size, number := 25, 1
	for _, p := range []struct {
		name     string
		into     *int
		min, max int
	}{{"pageSize", &size, 1, maxCampaignPage}, {"pageNumber", &number, 1, 1 << 20}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < p.min || n > p.max {
			return apiError(http.StatusBadRequest, "invalid.query.param.value", "Value [%s] is not valid for parameter [%s]", v, p.name)
		}
		*p.into = n
	}
	list := q.Get("dncListIds")
	s.mu.Lock()
	var all []Campaign
	for _, c := range s.campaigns {
		if list == "" || slices.Contains(c.DNCLists, list) {
			all = append(all, c)
		}
	}
	names := map[string]string{}
	for id, l := range s.lists {
		names[id] = l.info.Name
	}
	s.mu.Unlock()
	slices.SortFunc(all, func(a, b Campaign) int { return cmp.Compare(a.Name, b.Name) })

	out := campaignListing{Entities: []campaignJSON{}, PageSize: size, PageNumber: number, Total: len(all),
		PageCount: (len(all) + size - 1) / size}
	for _, c := range all[min((number-1)*size, len(all)):min(number*size, len(all))] {
		j := campaignJSON{ID: c.ID, Name: c.Name, CampaignStatus: c.Status, DialingMode: "preview",
			DNCLists: []campaignRef{}, SelfURI: "/api/v2/outbound/campaigns/" + c.ID}
		for _, id := range c.DNCLists {
			j.DNCLists = append(j.DNCLists, campaignRef{ID: id, Name: names[id], SelfURI: "/api/v2/outbound/dnclists/" + id})
		}
		out.Entities = append(out.Entities, j)
	}
	page := func(n int) string {
		v := url.Values{"pageSize": {strconv.Itoa(size)}, "pageNumber": {strconv.Itoa(n)}}
		if list != "" {
			v.Set("dncListIds", list)
		}
		return "/api/v2/outbound/campaigns?" + v.Encode()
	}
	out.FirstURI, out.SelfURI, out.LastURI = page(1), page(number), page(max(out.PageCount, 1))
	if number < out.PageCount {
		out.NextURI = page(number + 1)
	}
	return simfault.JSON(http.StatusOK, out)
}
