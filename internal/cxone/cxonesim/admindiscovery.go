package cxonesim

import "net/http"

// Discovery and the OpenID configuration are on the global host (hosts.go).
func (s *Server) routeAdminDiscovery() {
	s.discoveryMux.HandleFunc("GET /.well-known/openid-configuration", s.unmetered(kindAdminOpenID, s.openIDConfig))
	s.discoveryMux.HandleFunc("GET /.well-known/cxone-configuration", s.unmetered(kindAdminDiscovery, s.cxoneConfig))
}

// openIDConfig points a registered application at the password grant on this
// (the global) host.
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
		AuthMethods:   []string{s.cfg.AppAuthMethod},
		ResponseTypes: []string{"token", "id_token"},
		SigningAlgs:   []string{"RS256"},
	})
}

// cxoneConfig tells a client where its tenant's API lives, in the spec's
// shape (calljacob/nice-cxone-api
// src/services/auth/AuthenticationGlobalauthenticationService.ts
// getCXoneConfig): api_endpoint is the API host, auth_endpoint the login host.
func (s *Server) cxoneConfig(r *http.Request) reply {
	tenant := r.URL.Query().Get("tenantId")
	switch tenant {
	case "":
		return errorReply(http.StatusBadRequest, "tenantId is required")
	case s.cfg.TenantID:
	default:
		return errorReply(http.StatusNotFound, "tenant %q not found", tenant)
	}
	api := s.apiEndpoint(r)
	return jsonReply(http.StatusOK, struct {
		Private      bool   `json:"private"`
		UIEndpoint   string `json:"ui_endpoint"`
		AuthEndpoint string `json:"auth_endpoint"`
		APIEndpoint  string `json:"api_endpoint"`
		Area         string `json:"area"`
		Cluster      string `json:"cluster"`
		Domain       string `json:"domain"`
		UHDomain     string `json:"uhDomain"`
		TenantID     string `json:"tenantId"`
	}{
		UIEndpoint:   api,
		AuthEndpoint: s.hostURL(r, func(h Hosts) string { return h.Login }),
		APIEndpoint:  api,
		Area:         "sim1",
		Cluster:      "SIM1",
		Domain:       r.Host,
		UHDomain:     r.Host,
		TenantID:     tenant,
	})
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
