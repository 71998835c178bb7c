package cxonesim

import "net/http"

func (s *Server) routeAdminDiscovery() {
	s.mux.HandleFunc("GET /.well-known/openid-configuration", s.unmetered(kindAdminOpenID, s.openIDConfig))
	s.mux.HandleFunc("GET /.well-known/cxone-configuration", s.unmetered(kindAdminDiscovery, s.cxoneConfig))
}

// openIDConfig points a registered application at the password grant.
func (s *Server) openIDConfig(r *http.Request) reply {
	base := baseURL(r)
	return jsonReply(http.StatusOK, struct {
		Issuer        string   `json:"issuer"`
		TokenEndpoint string   `json:"token_endpoint"`
		GrantTypes    []string `json:"grant_types_supported"`
		AuthMethods   []string `json:"token_endpoint_auth_methods_supported"`
		ResponseTypes []string `json:"response_types_supported"`
		SigningAlgs   []string `json:"id_token_signing_alg_values_supported"`
	}{
		Issuer:        base,
		TokenEndpoint: base + "/auth/token",
		GrantTypes:    []string{"password"},
		AuthMethods:   []string{"client_secret_basic"},
		ResponseTypes: []string{"token", "id_token"},
		SigningAlgs:   []string{"RS256"},
	})
}

// cxoneConfig tells a client where its tenant's API lives. Auth and API are
// one server here, so the API endpoint is this server unless configured.
func (s *Server) cxoneConfig(r *http.Request) reply {
	tenant := r.URL.Query().Get("tenantId")
	switch tenant {
	case "":
		return errorReply(http.StatusBadRequest, "tenantId is required")
	case s.cfg.TenantID:
	default:
		return errorReply(http.StatusNotFound, "tenant %q not found", tenant)
	}
	base := baseURL(r)
	api := s.cfg.APIEndpoint
	if api == "" {
		api = base
	}
	return jsonReply(http.StatusOK, struct {
		APIEndpoint  string `json:"api_endpoint"`
		UIEndpoint   string `json:"ui_endpoint"`
		AuthEndpoint string `json:"auth_endpoint"`
	}{api, base, base})
}

// baseURL is this server's URL as the client addressed it, e.g.
// "http://127.0.0.1:43121", without a trailing slash.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
