package cxone

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/doctor"
	"github.com/dncsync/dncsync/internal/phone"
)

// Doctor checks a tenant the way dncsync will use it: login, the discovered API host, the DNC
// group and the skills it scrubs, and reading records. Nothing it prints is a secret: URLs, ids and
// CXone's log-safe messages only. The v2 profile has no group to check: its login alone.
func (c *Settings) Doctor(ctx context.Context, d destination.Deps, r *doctor.Report) {
	if c.API != "admin" {
		v := c.newV2(d)
		r.Check("login", nil, func() string {
			r.Detail("login: the v2 profile at %s (the admin profile, CXONE_API=admin, checks a real tenant's group)", c.BaseURL)
			if err := v.Login(ctx); err != nil {
				return err.Error()
			}
			return ""
		})
		return
	}
	a := c.newAdmin(d)
	c.admin = a
	ep := a.Endpoints()
	r.Check("login", nil, func() string {
		if ep.App {
			r.Detail("login: registered application (%s), token endpoint from %s/.well-known/openid-configuration",
				ep.ClientAuthMethod, ep.DiscoveryURL)
		} else {
			r.Detail("login: access key at %s/authentication/v1/token/access-key", ep.AuthURL)
		}
		if err := a.Authenticate(ctx); err != nil {
			return loginFix(err, ep)
		}
		return ""
	})
	r.Check("discovery", []string{"login"}, func() string {
		disc, err := a.Discover(ctx)
		if err != nil {
			return err.Error()
		}
		if disc.Tenant != "" {
			r.Detail("API host: %s (tenant %s, discovered via %s)", disc.APIBase, disc.Tenant, disc.Via)
		} else {
			r.Detail("API host: %s (CXONE_API_BASE)", disc.APIBase)
		}
		r.Detail("API version: %s; phoneNumber sent as CXONE_PHONE_JSON=%s", ep.APIVersion, ep.PhoneJSON)
		return ""
	})
	api := []string{"login", "discovery"}
	r.Check("group", api, func() string {
		g, err := a.Group(ctx)
		if err != nil {
			return err.Error()
		}
		state := "active"
		switch {
		case g.Active == nil:
			state = "CXone did not say whether it is active"
		case !*g.Active:
			state = "INACTIVE"
		}
		records := ""
		if g.ValidRecords >= 0 {
			records = fmt.Sprintf(", valid records: %d", g.ValidRecords)
		}
		r.Detail("DNC group %s %q: %s%s", ep.GroupID, g.Name, state, records)
		switch {
		case g.Removed:
			return fmt.Sprintf("DNC group %s is removed; set CXONE_DNC_GROUP_ID to a group in use", ep.GroupID)
		case g.Active != nil && !*g.Active:
			return fmt.Sprintf("DNC group %s is inactive, so it blocks no call; activate it in CXone (ACD > Lists > DNC Groups)", ep.GroupID)
		}
		return ""
	})
	r.Check("scrubbed skills", api, func() string {
		skills, err := a.ScrubbedSkills(ctx)
		if err != nil {
			return err.Error()
		}
		if len(skills) == 0 {
			r.Detail("WARNING: DNC group %s scrubs no skill. Numbers dncsync adds are blocked from NO call.", ep.GroupID)
			return fmt.Sprintf("DNC group %s scrubs no skill, so it blocks no call; assign the outbound skills that must "+
				"respect it (ACD > Lists > DNC Groups > Scrubbed Skills, or POST .../dnc-groups/%s/scrubbed-skills/{skillId})",
				ep.GroupID, ep.GroupID)
		}
		r.Detail("scrubbed skills (their calls skip the group's numbers): %s", skillList(skills))
		return ""
	})
	r.Check("contributing skills", api, func() string {
		skills, err := a.ContributingSkills(ctx)
		if err != nil {
			return err.Error()
		}
		if len(skills) == 0 {
			r.Detail("contributing skills: none (numbers reach the group from dncsync and by hand)")
		} else {
			r.Detail("contributing skills (their dispositions add numbers): %s", skillList(skills))
		}
		return ""
	})
	r.Check("records", api, func() string {
		recs, _, err := a.ListRecords(ctx, 0, 1)
		if err != nil {
			return err.Error()
		}
		r.Detail("records: readable (first page: %d)", len(recs))
		return ""
	})
}

// loginFix says what to change after a failed login.
func loginFix(err error, ep Endpoints) string {
	if KindOf(err) != Config {
		return fmt.Sprintf("%v (is %s reachable?)", err, ep.AuthURL)
	}
	return err.Error()
}

// Canary adds a test number with an expiry a day out (so that it leaves the group even if the
// expiry below fails), finds it with the search, then expires it. A number already active on the
// group is refused: expiring it would take a real opt-out off the list. It runs after Doctor, on
// its client.
func (c *Settings) Canary(ctx context.Context, d destination.Deps, r *doctor.Report, number string) {
	a := c.admin
	if c.API != "admin" || a == nil {
		r.Check("canary add", nil, func() string { return "--canary writes to a DNC group: the admin profile (CXONE_API=admin)" })
		return
	}
	r.Check("canary add", []string{"login", "discovery"}, func() string {
		before, err := a.Search(ctx, number)
		if err != nil {
			return fmt.Sprintf("search before adding: %v", err)
		}
		if active(before, c.GroupID, a.now()) {
			return fmt.Sprintf("%s is already on DNC group %s; doctor would take it off: pick a test number that is not",
				phone.Mask(number), c.GroupID)
		}
		exp := a.now().Add(24 * time.Hour)
		if err := a.Add(ctx, []Contact{{Number: number, ExpiresAt: exp, Source: "dncsync doctor"}})[0]; err != nil {
			return fmt.Sprintf("%v%s", err, c.typeHint(err))
		}
		r.Detail("canary: added %s with an expiredDate a day out", phone.Mask(number))
		return ""
	})
	r.Check("canary lookup", []string{"canary add"}, func() string {
		found, err := a.Search(ctx, number)
		if err != nil {
			return err.Error()
		}
		if !active(found, c.GroupID, a.now()) {
			return fmt.Sprintf("CXone confirmed the add, but the search does not find %s active on group %s", phone.Mask(number), c.GroupID)
		}
		r.Detail("canary: the search finds it on group %s", c.GroupID)
		return ""
	})
	r.Check("canary expire", []string{"canary add"}, func() string {
		if err := a.Remove(ctx, []Contact{{Number: number}})[0]; err != nil {
			return fmt.Sprintf("%v%s (the record expires by itself within two days)", err, c.typeHint(err))
		}
		found, err := a.Search(ctx, number)
		if err != nil {
			return fmt.Sprintf("search after expiring: %v", err)
		}
		if active(found, c.GroupID, a.now()) {
			return fmt.Sprintf("CXone confirmed the expiry, but %s is still active on group %s", phone.Mask(number), c.GroupID)
		}
		r.Detail("canary: expired again")
		return ""
	})
}

// active reports whether group holds the number, unexpired, among search results.
func active(res []SearchResult, group string, now time.Time) bool {
	for _, r := range res {
		if r.GroupID == group && r.Active(now) {
			return true
		}
	}
	return false
}

// typeHint points at the wire settings when CXone refused the request rather than the number.
func (c *Settings) typeHint(err error) string {
	var e *Error
	if !errors.As(err, &e) || (e.Status != http.StatusBadRequest && e.Kind != Config && e.Kind != Refused) {
		return ""
	}
	return fmt.Sprintf("; if CXone refused the request's shape, try CXONE_PHONE_JSON=string or number (now %s) or another CXONE_API_VERSION (now %s)",
		c.PhoneJSON, c.APIVersion)
}

func skillList(skills []Skill) string {
	parts := make([]string, len(skills))
	for i, s := range skills {
		parts[i] = fmt.Sprintf("%s %q", s.ID, s.Name)
	}
	return strings.Join(parts, ", ")
}
