package genesys_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/genesys"
	"github.com/dncsync/dncsync/internal/genesys/genesyssim"
)

func TestCampaigns(t *testing.T) {
	ctx := context.Background()
	b := setup(t, genesyssim.Config{}, nil)
	list := b.sim.Config().DNCListID
	cs, err := b.client.Campaigns(ctx)
	if err != nil || len(cs) != 1 || cs[0].ID != genesyssim.DefaultCampaignID || cs[0].Status != "on" {
		t.Fatalf("the default organization's campaign: %+v %v", cs, err)
	}

	// 150 campaigns check the list, 30 check another: two pages, only the list's.
	var all []genesyssim.Campaign
	var want []string
	for i := range 180 {
		c := genesyssim.Campaign{ID: fmt.Sprintf("c%03d", i), Name: fmt.Sprintf("campaign %03d", i), Status: "off",
			DNCLists: []string{"another-list"}}
		if i%6 != 0 {
			c.DNCLists = append(c.DNCLists, list)
			want = append(want, c.ID)
		}
		all = append(all, c)
	}
	b.sim.SetCampaigns(all...)
	before := b.requests(genesyssim.KindCampaigns, 200)
	cs, err = b.client.Campaigns(ctx)
	var got []string
	for _, c := range cs {
		got = append(got, c.ID)
	}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("paged campaigns: %d of %d, %v", len(got), len(want), err)
	}
	if n := b.requests(genesyssim.KindCampaigns, 200) - before; n != 2 {
		t.Errorf("%d pages read, want 2", n)
	}
}

// An API that ignored the dncListIds filter must not pass off every campaign as one that checks
// the list.
func TestCampaignsFilterChecked(t *testing.T) {
	var query string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		query = r.URL.RawQuery
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"entities":[{"id":"a","name":"A","campaignStatus":"on","dncLists":[{"id":"other"}]},`+
			`{"id":"b","name":"B","campaignStatus":"on"}],"pageSize":100,"pageNumber":1,"total":2,"pageCount":1}`)
	}))
	defer api.Close()
	b := setup(t, genesyssim.Config{}, func(c *genesys.Config) { c.APIURL = api.URL })
	cs, err := b.client.Campaigns(context.Background())
	if err != nil || len(cs) != 0 {
		t.Fatalf("campaigns that check other lists: %+v %v", cs, err)
	}
	if !strings.Contains(query, "dncListIds="+b.cfg.DNCListID) || !strings.Contains(query, "pageSize=100") {
		t.Errorf("query %q", query)
	}
	// A role without outbound:campaign:view: the deployment's, naming the permission.
	deny := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"code":"missing.any.permissions","message":"Unable to perform the requested action"}`)
	}))
	defer deny.Close()
	d := setup(t, genesyssim.Config{}, func(c *genesys.Config) { c.APIURL = deny.URL })
	if _, err := d.client.Campaigns(context.Background()); destination.KindOf(err) != destination.Config ||
		!strings.Contains(err.Error(), "outbound:campaign:view") {
		t.Fatalf("403: %v", err)
	}
}

func TestChecksBlockCalls(t *testing.T) {
	ctx := context.Background()
	b := setup(t, genesyssim.Config{}, nil)
	if k := b.client.Checks(ctx); !k.OK() || k.NoCampaign() || len(k.Campaigns) != 1 {
		t.Fatalf("a good setup: %+v", k)
	}
	b.sim.SetCampaigns()
	if k := b.client.Checks(ctx); k.OK() || !k.NoCampaign() || len(k.Problems) != 0 {
		t.Fatalf("no campaign checks the list: %+v", k)
	}

	for method, ok := range map[string]bool{"Phone": true, "Any": true, "WhatsApp": false, "Email": false, "": false} {
		o := setup(t, genesyssim.Config{}, func(c *genesys.Config) { c.DNCListID = "list-" + method })
		o.sim.AddList(genesyssim.ListInfo{ID: "list-" + method, Name: method, SourceType: genesyssim.SourceInternal, ContactMethod: method})
		o.sim.SetCampaigns(genesyssim.Campaign{ID: "c", Name: "c", Status: "on", DNCLists: []string{"list-" + method}})
		k := o.client.Checks(ctx)
		if k.OK() != ok || (!ok && (len(k.Problems) != 1 || !strings.Contains(k.Problems[0], "block no call"))) {
			t.Errorf("contact method %q: OK %v, problems %v; want OK %v", method, k.OK(), k.Problems, ok)
		}
	}
}
