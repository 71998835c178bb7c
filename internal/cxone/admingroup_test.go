package cxone

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

const groupPath = "/inContactAPI/services/" + DefaultAdminAPIVersion + "/dnc-groups/" + fakeGroup

func TestAdminGroup(t *testing.T) {
	for _, tc := range []struct {
		name           string
		status         int
		body           string
		want           string // "ok" or the Kind
		active         string // "true", "false", "unknown"
		removed        bool
		records        int
		nameOfTheGroup string
	}{
		{"spec", 200, `{"resultSet":{"dncGroups":[{"dncGroupId":17,"dncGroupName":"Opt-outs","dncGroupDescription":"d","validRecords":12,"isActive":true,"isRemoved":false}]}}`,
			"ok", "true", false, 12, "Opt-outs"},
		{"without resultSet, flags as text", 200, `{"dncGroups":[{"dncGroupId":"g-17","dncGroupName":"x","isActive":"False","isRemoved":"True"}]}`,
			"ok", "false", true, -1, "x"},
		{"several groups", 200, `{"resultSet":{"dncGroups":[{"dncGroupId":1,"dncGroupName":"a"},{"dncGroupId":"g-17","dncGroupName":"b"}]}}`,
			"ok", "unknown", false, -1, "b"},
		{"no group", 200, `{"resultSet":{"dncGroups":[]}}`, "transient", "", false, 0, ""},
		{"html", 200, `<html>`, "transient", "", false, 0, ""},
		{"404 with a reason in the header", 404, ``, "config", "", false, 0, ""},
		{"204", 204, ``, "config", "", false, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newAdminFake(t)
			f.setAPI(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodGet || r.URL.Path != groupPath {
					t.Errorf("%s %s", r.Method, r.URL.Path)
				}
				w.Header().Set("icStatusDescription", "DNC Group not found")
				writeJSON(w, tc.status, tc.body)
			})
			a, _ := newTestAdmin(f, nil)
			g, err := a.Group(context.Background())
			got := "ok"
			if err != nil {
				got = KindOf(err).String()
			}
			if got != tc.want {
				t.Fatalf("got %v (%+v), want %s", err, g, tc.want)
			}
			if err != nil {
				if tc.want == "config" && !strings.Contains(err.Error(), "CXONE_DNC_GROUP_ID") {
					t.Errorf("%v does not name CXONE_DNC_GROUP_ID", err)
				}
				return
			}
			active := "unknown"
			if g.Active != nil {
				active = map[bool]string{true: "true", false: "false"}[*g.Active]
			}
			if active != tc.active || g.Removed != tc.removed || g.ValidRecords != tc.records || g.Name != tc.nameOfTheGroup {
				t.Errorf("group %+v (active %s)", g, active)
			}
		})
	}
}

func TestAdminSkills(t *testing.T) {
	f := newAdminFake(t)
	f.setAPI(func(w http.ResponseWriter, r *http.Request) {
		switch strings.TrimPrefix(r.URL.Path, groupPath) {
		case "/scrubbed-skills":
			writeJSON(w, 200, `{"totalRecords":2,"_links":{},"scrubbedSkills":[{"skillId":4001,"skillName":"Outbound"},{"skillId":"4002","skillName":"Retention"}]}`)
		case "/contributing-skills":
			w.WriteHeader(http.StatusNoContent)
		default:
			t.Errorf("%s %s", r.Method, r.URL.Path)
		}
	})
	a, _ := newTestAdmin(f, nil)
	s, err := a.ScrubbedSkills(context.Background())
	if err != nil || len(s) != 2 || s[0] != (Skill{"4001", "Outbound"}) || s[1] != (Skill{"4002", "Retention"}) {
		t.Fatalf("scrubbed %+v, %v", s, err)
	}
	c, err := a.ContributingSkills(context.Background())
	if err != nil || len(c) != 0 {
		t.Fatalf("contributing %+v, %v", c, err)
	}
}

func TestAdminSkillsAnswers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		body   string
		status int
		n      int
		want   string
	}{
		{"in resultSet", `{"resultSet":{"scrubbedSkills":[{"skillId":1,"skillName":"a"}]}}`, 200, 1, "ok"},
		{"empty list", `{"totalRecords":0,"scrubbedSkills":[]}`, 200, 0, "ok"},
		{"no list", `{"totalRecords":0}`, 200, 0, "ok"},
		{"not a list", `{"scrubbedSkills":{"skillId":1}}`, 200, 0, "transient"},
		{"html", `<html>`, 200, 0, "transient"},
		{"forbidden", ``, 403, 0, "config"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newAdminFake(t)
			f.setAPI(func(w http.ResponseWriter, r *http.Request) { writeJSON(w, tc.status, tc.body) })
			a, _ := newTestAdmin(f, nil)
			s, err := a.ScrubbedSkills(context.Background())
			got := "ok"
			if err != nil {
				got = KindOf(err).String()
			}
			if got != tc.want || len(s) != tc.n {
				t.Fatalf("got %+v, %v; want %s with %d", s, err, tc.want, tc.n)
			}
		})
	}
}
