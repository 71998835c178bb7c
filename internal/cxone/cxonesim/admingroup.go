package cxonesim

import (
	"net/http"
	"slices"
)

// Skill is an ACD skill linked to the DNC group.
type Skill struct {
	ID   int    `json:"skillId"`
	Name string `json:"skillName"`
}

// groupState is what the simulator knows of its DNC group besides its records. Guarded by
// Server.mu.
type groupState struct {
	active                 bool
	scrubbed, contributing []Skill
}

func newGroupState(cfg Config) groupState {
	return groupState{active: true, scrubbed: slices.Clone(cfg.ScrubbedSkills),
		contributing: slices.Clone(cfg.ContributingSkills)}
}

// SetGroupSkills replaces the skills scrubbed against the group and those contributing to it;
// nil or empty is none. A group that scrubs no skill blocks no call.
func (s *Server) SetGroupSkills(scrubbed, contributing []Skill) {
	s.mu.Lock()
	s.group.scrubbed, s.group.contributing = slices.Clone(scrubbed), slices.Clone(contributing)
	s.mu.Unlock()
}

// SetGroupActive switches the group on or off (isActive).
func (s *Server) SetGroupActive(active bool) {
	s.mu.Lock()
	s.group.active = active
	s.mu.Unlock()
}

// adminGroup is GET .../dnc-groups/{groupId}: {"resultSet":{"dncGroups":[{...}]}}, the group's
// fields as the spec's postDNCGroupsResponse names them.
func (s *Server) adminGroup(r *http.Request, _ string) reply {
	groupID := r.PathValue("groupId")
	listID, ok := s.groupList(groupID)
	if !ok {
		return s.adminError(http.StatusNotFound, "DNC group %s not found", groupID)
	}
	now := wireTime(s.now())
	s.mu.Lock()
	valid := len(s.lists.list(listID))
	active := s.group.active
	s.mu.Unlock()
	type group struct {
		ID           any    `json:"dncGroupId"`
		Name         string `json:"dncGroupName"`
		Description  string `json:"dncGroupDescription"`
		ValidRecords int    `json:"validRecords"`
		IsActive     bool   `json:"isActive"`
		IsRemoved    bool   `json:"isRemoved"`
		CreateDate   string `json:"createDate"`
		LastUpdate   string `json:"lastUpdateTime"`
	}
	type groups struct {
		DNCGroups []group `json:"dncGroups"`
	}
	return jsonReply(http.StatusOK, struct {
		ResultSet groups `json:"resultSet"`
	}{groups{[]group{{ID: groupIDJSON(s.cfg.DNCGroupID), Name: s.cfg.DNCGroupName, ValidRecords: valid,
		IsActive: active, CreateDate: now, LastUpdate: now}}}})
}

// adminScrubbedSkills is GET .../dnc-groups/{groupId}/scrubbed-skills.
func (s *Server) adminScrubbedSkills(r *http.Request, _ string) reply {
	return s.adminSkills(r, "scrubbedSkills", func(g groupState) []Skill { return g.scrubbed })
}

// adminContributingSkills is GET .../dnc-groups/{groupId}/contributing-skills.
func (s *Server) adminContributingSkills(r *http.Request, _ string) reply {
	return s.adminSkills(r, "contributingSkills", func(g groupState) []Skill { return g.contributing })
}

// adminSkills answers {key:[{"skillId","skillName"}]}; an empty list is a 204 unless lenient,
// which answers 200 with totalRecords and an empty list.
func (s *Server) adminSkills(r *http.Request, key string, pick func(groupState) []Skill) reply {
	groupID := r.PathValue("groupId")
	if _, ok := s.groupList(groupID); !ok {
		return s.adminError(http.StatusNotFound, "DNC group %s not found", groupID)
	}
	s.mu.Lock()
	skills := slices.Clone(pick(s.group))
	s.mu.Unlock()
	if skills == nil {
		skills = []Skill{}
	}
	if !s.cfg.Lenient {
		if len(skills) == 0 {
			return emptyReply(http.StatusNoContent)
		}
		return jsonReply(http.StatusOK, map[string]any{key: skills})
	}
	return jsonReply(http.StatusOK, map[string]any{"totalRecords": len(skills), key: skills})
}

// defaultScrubbedSkill is the outbound skill a default group is scrubbed against.
var defaultScrubbedSkill = Skill{ID: 4001, Name: "dncsync-sim outbound"}
