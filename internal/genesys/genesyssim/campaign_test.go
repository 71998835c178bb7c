package genesyssim_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/dncsync/dncsync/internal/genesys/genesyssim"
)

func TestCampaigns(t *testing.T) {
	e := newEnv(t, genesyssim.Config{})
	list := e.sim.Config().DNCListID
	type listing struct {
		Entities []struct {
			ID             string `json:"id"`
			CampaignStatus string `json:"campaignStatus"`
			DNCLists       []struct {
				ID string `json:"id"`
			} `json:"dncLists"`
		} `json:"entities"`
		PageCount, Total, PageNumber int
		NextURI                      string `json:"nextUri"`
	}
	get := func(query string) (int, listing) {
		t.Helper()
		status, body, _ := e.call("GET", "/api/v2/outbound/campaigns"+query, "")
		var l listing
		if status == 200 && json.Unmarshal(body, &l) != nil {
			t.Fatalf("%s: %s", query, body)
		}
		return status, l
	}
	if status, l := get("?dncListIds=" + list); status != 200 || l.Total != 1 || l.Entities[0].ID != genesyssim.DefaultCampaignID ||
		l.Entities[0].CampaignStatus != "on" || l.Entities[0].DNCLists[0].ID != list {
		t.Fatalf("the default campaign: %d %+v", status, l)
	}
	var cs []genesyssim.Campaign
	for i := range 30 {
		c := genesyssim.Campaign{ID: fmt.Sprint(i), Name: fmt.Sprintf("c%02d", i), Status: "off"}
		if i%3 == 0 {
			c.DNCLists = []string{list}
		}
		cs = append(cs, c)
	}
	e.sim.SetCampaigns(cs...)
	if status, l := get("?dncListIds=" + list + "&pageSize=4&pageNumber=3"); status != 200 || l.Total != 10 || l.PageCount != 3 ||
		len(l.Entities) != 2 || l.Entities[0].ID != "24" || l.NextURI != "" {
		t.Fatalf("the last page of ten: %d %+v", status, l)
	}
	if status, l := get("?pageSize=100"); status != 200 || l.Total != 30 {
		t.Fatalf("unfiltered: %d %+v", status, l)
	}
	for _, q := range []string{"?pageSize=101", "?pageSize=0", "?pageNumber=0", "?pageSize=x"} {
		if status, _ := get(q); status != 400 {
			t.Errorf("%s: %d, want 400", q, status)
		}
	}
	e.sim.SetCampaigns()
	if status, l := get("?dncListIds=" + list); status != 200 || l.Total != 0 || l.Entities == nil {
		t.Fatalf("no campaigns: %d %+v", status, l)
	}
}
