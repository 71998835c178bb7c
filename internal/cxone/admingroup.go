package cxone

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Group is the configured DNC group as CXone describes it. A group blocks calls only while it is
// active and only for the skills scrubbed against it.
type Group struct {
	ID, Name, Description string
	Active                *bool // nil: CXone did not say
	Removed               bool
	ValidRecords          int // -1: CXone did not say
}

// Skill is an ACD skill linked to the group.
type Skill struct {
	ID, Name string
}

// Group reads the configured DNC group: GET .../dnc-groups/{groupId}, answering
// {"resultSet":{"dncGroups":[{"dncGroupId","dncGroupName","dncGroupDescription","validRecords",
// "isActive","isRemoved",...}]}} (calljacob/nice-cxone-api src/services/admin/AdminListsService.ts,
// getDNCGroupResponseById and the group fields of postDNCGroupsResponse). outboundani/cxone-mcp
// src/tools.js reads dncGroups with or without resultSet; so does this.
func (a *Admin) Group(ctx context.Context) (Group, error) {
	u, err := a.groupURL(ctx, "group")
	if err != nil {
		return Group{}, err
	}
	r, err := a.c.do(ctx, "group", http.MethodGet, u, nil)
	if err != nil {
		return Group{}, err
	}
	if r.Status == http.StatusNotFound || r.Status == http.StatusNoContent {
		return Group{}, &Error{Kind: Config, Op: "group", Status: r.Status,
			Msg: "no DNC group " + strconv.Quote(a.cfg.GroupID) + "; check CXONE_DNC_GROUP_ID" + statusDescription(r)}
	}
	if r.Status != http.StatusOK {
		return Group{}, statusError("group", r)
	}
	type groups struct {
		DNCGroups []struct {
			ID           flexString  `json:"dncGroupId"`
			Name         string      `json:"dncGroupName"`
			Description  string      `json:"dncGroupDescription"`
			ValidRecords *flexString `json:"validRecords"`
			IsActive     *flexBool   `json:"isActive"`
			IsRemoved    *flexBool   `json:"isRemoved"`
		} `json:"dncGroups"`
	}
	var ans struct {
		ResultSet *groups `json:"resultSet"`
		groups
	}
	if json.Unmarshal(r.Body, &ans) != nil {
		return Group{}, unexpected("group", r)
	}
	set := ans.ResultSet
	if set == nil {
		set = &ans.groups
	}
	for _, g := range set.DNCGroups {
		if len(set.DNCGroups) > 1 && string(g.ID) != a.cfg.GroupID {
			continue
		}
		out := Group{ID: string(g.ID), Name: g.Name, Description: g.Description, ValidRecords: -1}
		if g.IsActive != nil {
			v := bool(*g.IsActive)
			out.Active = &v
		}
		out.Removed = g.IsRemoved != nil && bool(*g.IsRemoved)
		if g.ValidRecords != nil {
			if n, err := strconv.Atoi(string(*g.ValidRecords)); err == nil {
				out.ValidRecords = n
			}
		}
		return out, nil
	}
	return Group{}, unexpected("group", r)
}

// ScrubbedSkills lists the skills whose outbound calls are scrubbed against the group: GET
// .../dnc-groups/{groupId}/scrubbed-skills, answering {"totalRecords"?,"scrubbedSkills":[{"skillId",
// "skillName"}]} (calljacob/nice-cxone-api AdminListsService.ts getDncGroupsScrubbedSkills;
// outboundani/cxone-mcp src/tools.js get_dnc_group). A group no skill is scrubbed against blocks
// no call.
func (a *Admin) ScrubbedSkills(ctx context.Context) ([]Skill, error) {
	return a.skills(ctx, "scrubbed-skills", "scrubbedSkills")
}

// ContributingSkills lists the skills whose dispositions add numbers to the group: GET
// .../dnc-groups/{groupId}/contributing-skills, answering {"contributingSkills":[...]} (the same
// sources).
func (a *Admin) ContributingSkills(ctx context.Context) ([]Skill, error) {
	return a.skills(ctx, "contributing-skills", "contributingSkills")
}

func (a *Admin) skills(ctx context.Context, path, key string) ([]Skill, error) {
	op := strings.TrimSuffix(path, "-skills") + " skills"
	u, err := a.groupURL(ctx, op)
	if err != nil {
		return nil, err
	}
	r, err := a.c.do(ctx, op, http.MethodGet, u+"/"+path, nil)
	if err != nil {
		return nil, err
	}
	switch r.Status {
	case http.StatusOK:
	case http.StatusNoContent:
		return nil, nil // an empty list may come as 204
	default:
		return nil, statusError(op, r)
	}
	var ans map[string]json.RawMessage
	if json.Unmarshal(r.Body, &ans) != nil {
		return nil, unexpected(op, r)
	}
	raw, ok := ans[key]
	if rs, has := ans["resultSet"]; !ok && has {
		var inner map[string]json.RawMessage
		if json.Unmarshal(rs, &inner) == nil {
			raw, ok = inner[key]
		}
	}
	if !ok || string(raw) == "null" {
		return nil, nil
	}
	var list []struct {
		ID   flexString `json:"skillId"`
		Name string     `json:"skillName"`
	}
	if json.Unmarshal(raw, &list) != nil {
		return nil, unexpected(op, r)
	}
	out := make([]Skill, len(list))
	for i, s := range list {
		out[i] = Skill{ID: string(s.ID), Name: s.Name}
	}
	return out, nil
}

// flexBool reads a JSON boolean, or a string such as "true" or "False".
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch t := v.(type) {
	case bool:
		*f = flexBool(t)
	case string:
		p, err := strconv.ParseBool(strings.TrimSpace(t))
		if err != nil {
			return err
		}
		*f = flexBool(p)
	case nil:
		*f = false
	default:
		return fmt.Errorf("not a boolean: %.20s", b)
	}
	return nil
}
