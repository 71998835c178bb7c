package cxonesim

import (
	"fmt"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// The "admin" profile: the real CXone Admin API's DNC groups, reached with
// an access key login (adminauth.go) and tenant discovery
// (admindiscovery.go). Its one DNC group is the store's one list, so both
// profiles see and change the same numbers.

const (
	kindAdminToken         = "admin.token"
	kindAdminPasswordToken = "admin.token.password"
	kindAdminOpenID        = "admin.openid"
	kindAdminDiscovery     = "admin.discovery"
	kindAdminAdd           = "admin.add"
	kindAdminRemove        = "admin.remove"
	kindAdminList          = "admin.list"
	kindAdminSearch        = "admin.search"
	kindAdminGroup         = "admin.group"
	kindAdminSkills        = "admin.skills"
)

// The admin API's 429s never carry Retry-After, bucket or injected.
var profileAdmin = apiProfile{name: "admin"}

// adminVersion is the form of {version} in API paths, e.g. "v30.0".
var adminVersion = regexp.MustCompile(`^v[0-9]+\.[0-9]+$`)

func (s *Server) routeAdmin() {
	s.routeAdminAuth()
	s.routeAdminDiscovery()
	const groups = "/inContactAPI/services/{version}/dnc-groups"
	s.mux.Handle("POST "+groups+"/{groupId}/records", s.api(profileAdmin, kindAdminAdd, admin(s.adminAdd)))
	s.mux.Handle("DELETE "+groups+"/{groupId}/records", s.api(profileAdmin, kindAdminRemove, admin(s.adminRemove)))
	s.mux.Handle("GET "+groups+"/{groupId}/records", s.api(profileAdmin, kindAdminList, admin(s.adminList)))
	s.mux.Handle("POST "+groups+"/search", s.api(profileAdmin, kindAdminSearch, admin(s.adminSearch)))
	s.mux.Handle("GET "+groups+"/{groupId}", s.api(profileAdmin, kindAdminGroup, admin(s.adminGroup)))
	s.mux.Handle("GET "+groups+"/{groupId}/scrubbed-skills", s.api(profileAdmin, kindAdminSkills, admin(s.adminScrubbedSkills)))
	s.mux.Handle("GET "+groups+"/{groupId}/contributing-skills", s.api(profileAdmin, kindAdminSkills, admin(s.adminContributingSkills)))
}

// adminError is the admin API's refusal of a request. CXone often gives the reason only in the
// icStatusDescription header, with an empty body (singer-io/tap-nice-incontact
// tap_nice_incontact/client.py reads the header for that reason); lenient mode also sends the
// {"error"} body.
func (s *Server) adminError(status int, format string, args ...any) reply {
	msg := fmt.Sprintf(format, args...)
	rep := emptyReply(status)
	if s.cfg.Lenient {
		rep = errorReply(status, "%s", msg)
	}
	rep.header.Set("icStatusDescription", headerText(msg))
	return rep
}

// headerText makes msg a valid header value: printable ASCII only.
func headerText(msg string) string {
	b := []byte(msg)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	return string(b)
}

// admin enforces what every admin API call must get right besides the token:
// a vN.N version in the path and an Accept header that allows JSON (CXone
// answers "No known way to render data" without one, outboundani/cxone-mcp
// src/cxone.js).
func admin(h apiHandler) apiHandler {
	return func(r *http.Request, org string) reply {
		if v := r.PathValue("version"); !adminVersion.MatchString(v) {
			return errorReply(http.StatusNotFound, "unknown API version %q", v)
		}
		if !acceptsJSON(r.Header) {
			return errorReply(http.StatusNotAcceptable, "No known way to render data; Accept must allow application/json")
		}
		return h(r, org)
	}
}

// acceptsJSON reports whether the Accept header allows application/json. No
// header at all does not: the vendor answers such requests with an error.
func acceptsJSON(h http.Header) bool {
	for _, v := range h.Values("Accept") {
		for elem := range strings.SplitSeq(v, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(elem))
			if err != nil {
				continue
			}
			if q, err := strconv.ParseFloat(params["q"], 64); err == nil && q <= 0 {
				continue
			}
			switch mt {
			case "application/json", "application/*", "*/*":
				return true
			}
		}
	}
	return false
}

// groupList returns the store list behind a DNC group ID.
func (s *Server) groupList(groupID string) (listID string, ok bool) {
	if groupID != s.cfg.DNCGroupID {
		return "", false
	}
	return s.cfg.ListID, true
}

// unmetered serves an admin login or discovery endpoint. Like the v2 token
// endpoint it is not authenticated, rate limited or subject to faults, but
// it is counted under kind.
func (s *Server) unmetered(kind string, h func(*http.Request) reply) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rep := h(r)
		s.mu.Lock()
		s.stats.record(kind, rep.status)
		s.mu.Unlock()
		s.logf("cxonesim: %s %s -> %d", r.Method, r.URL.Path, rep.status)
		rep.write(w)
	}
}

func (c Config) adminDefaults() Config {
	for _, d := range []struct {
		field *string
		def   string
	}{
		{&c.AccessKeyID, "sim-access-key"},
		{&c.AccessKeySecret, "sim-access-secret"},
		{&c.AppClientID, "sim-app-client"},
		{&c.AppClientSecret, "sim-app-secret"},
		{&c.TenantID, "tenant-sim-1"},
		{&c.DNCGroupID, "1001"},
		{&c.DNCGroupName, "dncsync-sim DNC group"},
	} {
		if *d.field == "" {
			*d.field = d.def
		}
	}
	if c.AdminMaxBatch <= 0 {
		c.AdminMaxBatch = 1000
	}
	if c.AppAuthMethod == "" {
		c.AppAuthMethod = clientSecretBasic
	}
	if c.ScrubbedSkills == nil {
		c.ScrubbedSkills = []Skill{defaultScrubbedSkill}
	}
	return c
}
