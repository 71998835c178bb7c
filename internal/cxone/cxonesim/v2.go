package cxonesim

import "net/http"

// The "v2" profile: the public v2 API's DNC list contacts and event
// subscriptions.

const (
	kindV2Add       = "v2.add"
	kindV2Upsert    = "v2.upsert"
	kindV2Remove    = "v2.remove"
	kindV2Subscribe = "v2.subscribe"
)

var profileV2 = apiProfile{name: "v2", retryAfter: true}

// V2Version is the only X-CXone-Version the v2 API accepts.
const V2Version = "2023-10-01"

func (s *Server) routeV2() {
	const contacts = "/api/v2/outbound/dnc-lists/{listId}/contacts"
	s.mux.Handle("POST "+contacts, s.api(profileV2, kindV2Add, v2(s.v2Add)))
	s.mux.Handle("PUT "+contacts+"/{phoneNumber}", s.api(profileV2, kindV2Upsert, v2(s.v2Upsert)))
	s.mux.Handle("DELETE "+contacts+"/{phoneNumber}", s.api(profileV2, kindV2Remove, v2(s.v2Remove)))
	s.mux.Handle("POST /api/v2/event-subscriptions", s.api(profileV2, kindV2Subscribe, v2(s.v2Subscribe)))
}

// v2 enforces the version header every v2 call must carry.
func v2(h apiHandler) apiHandler {
	return func(r *http.Request, org string) reply {
		if got := r.Header.Get("X-CXone-Version"); got != V2Version {
			return errorReply(http.StatusBadRequest, "X-CXone-Version must be %s, got %q", V2Version, got)
		}
		return h(r, org)
	}
}
