package cxonesim

import (
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
)

// The admin API's 429s never carry Retry-After, bucket or injected.
var profileAdmin = apiProfile{name: "admin"}

// adminVersion is the form of {version} in API paths, e.g. "v33.0".
var adminVersion = regexp.MustCompile(`^v[0-9]+\.[0-9]+$`)

func (s *Server) routeAdmin() {
	s.routeAdminAuth()
	s.routeAdminDiscovery()
	const groups = "/inContactAPI/services/{version}/dnc-groups"
	s.mux.Handle("POST "+groups+"/{groupId}/records", s.api(profileAdmin, kindAdminAdd, admin(s.adminAdd)))
	s.mux.Handle("DELETE "+groups+"/{groupId}/records", s.api(profileAdmin, kindAdminRemove, admin(s.adminRemove)))
	s.mux.Handle("GET "+groups+"/{groupId}/records", s.api(profileAdmin, kindAdminList, admin(s.adminList)))
	s.mux.Handle("POST "+groups+"/search", s.api(profileAdmin, kindAdminSearch, admin(s.adminSearch)))
}

// admin enforces what every admin API call must get right besides the token:
// a vN.N version in the path and an Accept header that allows JSON.
func admin(h apiHandler) apiHandler {
	return func(r *http.Request, org string) reply {
		if v := r.PathValue("version"); !adminVersion.MatchString(v) {
			return errorReply(http.StatusNotFound, "unknown API version %q", v)
		}
		if !acceptsJSON(r.Header) {
			return errorReply(http.StatusNotAcceptable, "Accept must allow application/json")
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
	return c
}
